"""Keyframe propagation against colorizing every frame (issue 11): speed and quality on the samples.

    python3 -m kinecolor_training.keyframes_report --kinecolor .build/release/kinecolor
        [--modes all,auto] [--rounds 3] [--model FILE] [--today OLD_KINECOLOR] [--out DIR]
        [--encode '--codec ffv1'] [--extra '--threads 2'] [--clips carphone_face,...]
        [--flow-width W] [--dry-run]

For every clip of the samples folder (../shared/samples next to the repository, or
$KINECOLOR_SHARED/samples) that has a `_gray` twin: `kinecolor shots` on the gray twin (the cut list
for the metrics), then, in each of --rounds rounds, `kinecolor colorize GRAY -o OUT --keyframes MODE`
for every mode of --modes, in turn (the order reverses every other round, so that no mode always runs
first), each run timed by its wall clock. Then `video_metrics` of each mode's output against the
color twin: CIEDE2000, CDC, colorfulness, chroma warping error (flow on the gray twin's luma, so every
mode is measured along the same flow; pairs across cuts skipped).

The first mode is the baseline: speedup is the median over rounds of (baseline time / mode time) in
the same round; the deltas are mode minus baseline (CIEDE2000, CDC) and the relative change of the
warping error. The mode `default` runs without --keyframes (the binary's own default). --today
OLD_KINECOLOR adds a mode `today`: that binary (e.g. a build of the commit before keyframes) without
--keyframes, timed and measured like the others, and a column with each mode's warping-error change
against it. Output is lossless FFV1 by default (--encode), so the metrics measure the colorization
and not the encoder; --extra is added to every colorize command (e.g. '--threads 2 --class general').

Prints a Markdown table (per clip and the mean over clips) and writes it, with every number as JSON,
to --out (keyframes_report.md, keyframes_report.json). --dry-run prints the commands and runs nothing.
"""

import argparse
import datetime
import json
import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time

from . import paths, video_metrics

VIDEO_EXTS = (".mp4", ".avi", ".mkv", ".mov", ".nut", ".webm", ".m4v", ".mpg", ".ts")


def find_clips(samples):
    """(stem, gray path, color path) for every video X_gray.EXT with a twin X.EXT2, sorted by name."""
    names = sorted(os.listdir(samples))
    clips = []
    for name in names:
        stem, ext = os.path.splitext(name)
        if not stem.endswith("_gray") or ext.lower() not in VIDEO_EXTS:
            continue
        base = stem[: -len("_gray")]
        twins = [n for n in names if os.path.splitext(n)[0] == base and os.path.splitext(n)[1].lower() in VIDEO_EXTS]
        if twins:
            clips.append((base, os.path.join(samples, name), os.path.join(samples, twins[0])))
    return clips


class Mode:
    def __init__(self, label, binary, keyframes):
        self.label, self.binary, self.keyframes = label, binary, keyframes

    def command(self, gray, out, args):
        cmd = [self.binary, "colorize", gray, "-o", out, "-y", "-q"]
        if self.keyframes is not None:
            cmd += ["--keyframes", self.keyframes]
        if args.model:
            cmd += ["--model", args.model]
        return cmd + shlex.split(args.encode) + shlex.split(args.extra)


def parse_modes(args):
    modes = []
    for value in (v.strip() for v in args.modes.split(",")):
        if not value:
            sys.exit(f"--modes {args.modes!r}: empty mode")
        if value == "today":
            sys.exit("--modes: 'today' is added by --today OLD_KINECOLOR")
        if any(m.label == value for m in modes):
            sys.exit(f"--modes {args.modes!r}: {value} twice")
        modes.append(Mode(value, args.kinecolor, None if value == "default" else value))
    if args.today:
        modes.append(Mode("today", args.today, None))
    return modes


def run(cmd, what):
    """Runs cmd; exits with the tail of its stderr when it fails, else returns its stderr (e.g. warnings)."""
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        tail = r.stderr.strip().splitlines()[-5:]
        sys.exit(f"{what} failed (exit {r.returncode}): {shlex.join(cmd)}\n" + "\n".join(tail))
    return r.stderr


def timed(cmd, what):
    """Runs cmd as run() does; (wall-clock seconds, stderr)."""
    start = time.perf_counter()
    err = run(cmd, what)
    return time.perf_counter() - start, err


def in_round(modes, k):
    """The order of the modes in round k (0-based): reversed every other round, so that none always runs first."""
    return modes if k % 2 == 0 else modes[::-1]


def select_clips(samples, names=None):
    """(samples folder, find_clips of it): samples defaults to the shared samples folder; names, comma-separated
    clip names (--clips), picks some. Exits with a message when the folder, a named clip or any clip is missing."""
    samples = samples or paths.shared_dir("samples")
    if not os.path.isdir(samples):
        sys.exit(f"{samples}: samples folder not found")
    clips = find_clips(samples)
    if names:
        wanted = [c.strip() for c in names.split(",")]
        unknown = [w for w in wanted if w not in {c[0] for c in clips}]
        if unknown:
            sys.exit(f"--clips: no clip with a _gray twin named {', '.join(unknown)} in {samples}")
        clips = [c for c in clips if c[0] in wanted]
    if not clips:
        sys.exit(f"{samples}: no video with a _gray twin")
    return samples, clips


def version(binary):
    try:
        return subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except OSError:
        return "?"


def measure(out, gray, color, shots_csv, flow_width):
    ns = argparse.Namespace(input=out, gt=color, shots=shots_csv, width=None, max_frames=None,
                            flow_width=flow_width, flow_luma=gray)
    return video_metrics.measure(ns)


# What the metrics columns mean, for the reports' footnotes.
METRICS_NOTE = (
    "CIEDE2000 and CDC (JS divergence of RGB histograms, gaps 1/2/4, inside shots) against the color original; "
    "colorfulness: Hasler–Süsstrunk, output (original). Warping error: mean over consecutive frames of a shot of "
    "the squared Cb/Cr difference (full-range BT.601, in [0, 1]) between frame t and frame t−1 warped onto it "
    "along DIS flow on the input's luma, unoccluded pixels only (Training/src/kinecolor_training/video_metrics.py). "
    "A grayer output scores a lower warping error, so read it with colorfulness.")


def fmt(v, spec, none="n/a"):
    return none if v is None else format(v, spec)


def signed(v, spec):
    return "n/a" if v is None else format(v, "+" + spec)


def pct(new, old):
    return None if new is None or not old else 100 * (new / old - 1)


def mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def table(results, modes, rounds):
    base = modes[0].label
    today = any(m.label == "today" for m in modes)
    head = ["clip", "--keyframes", f"time, s (median of {rounds})", f"speedup vs {base}", "CIEDE2000",
            f"Δ vs {base}", "CDC", f"Δ vs {base}", "colorfulness (original)", "warping error ×10⁴",
            f"Δ vs {base}"] + (["Δ vs today"] if today else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def row(clip, label, r):
        cells = [clip, label, fmt(r["time"], ".2f"), fmt(r["speedup"], ".2f") + "×",
                 fmt(r["ciede2000"], ".2f"), signed(r["d_ciede2000"], ".2f"),
                 fmt(r["cdc"], ".5f"), signed(r["d_cdc"], ".5f"),
                 f"{fmt(r['colorfulness'], '.1f')} ({fmt(r['colorfulness_gt'], '.1f')})",
                 fmt(None if r["warp"] is None else 1e4 * r["warp"], ".3f"), signed(r["d_warp_pct"], ".1f") + " %"]
        if today:
            cells.append(signed(r["d_warp_today_pct"], ".1f") + " %")
        lines.append("| " + " | ".join(cells) + " |")

    for clip in results:
        for m in modes:
            row(clip["clip"], m.label, clip["modes"][m.label])
    for m in modes:
        rs = [c["modes"][m.label] for c in results]
        agg = {k: mean([r[k] for r in rs]) for k in ("time", "ciede2000", "d_ciede2000", "cdc", "d_cdc", "colorfulness",
                                                     "colorfulness_gt", "warp", "d_warp_pct", "d_warp_today_pct")}
        agg["speedup"] = geomean([r["speedup"] for r in rs])
        row("**mean**", m.label, agg)
    return lines


def add_run_arguments(ap, out):
    """The arguments every report over the sample clips shares, after its own: where the clips are, which of them,
    the output folder (default `out`), the colorize arguments, the warping error's flow width and --dry-run."""
    ap.add_argument("--samples", help="folder of the samples (default: ../shared/samples or $KINECOLOR_SHARED/samples)")
    ap.add_argument("--clips", help="comma-separated clip names (default: every clip with a _gray twin)")
    ap.add_argument("--out", default=out)
    ap.add_argument("--encode", default="--codec ffv1", help="output arguments of every colorize (default: lossless FFV1)")
    ap.add_argument("--extra", default="", help="more arguments for every colorize command")
    ap.add_argument("--flow-width", type=int, help="the warping error's flow width (default: the video's)")
    ap.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.keyframes_report", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kinecolor", required=True, help="the kinecolor binary under test")
    ap.add_argument("--modes", default="all,auto",
                    help="comma-separated --keyframes values (or 'default': no flag); the first is the baseline")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model", help="model file, passed as --model")
    ap.add_argument("--today", metavar="OLD_KINECOLOR", help="also time and measure this binary without --keyframes")
    add_run_arguments(ap, "/tmp/kinecolor_keyframes_report")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    modes = parse_modes(args)
    args.samples, clips = select_clips(args.samples, args.clips)
    if video_metrics.cv2 is None:
        print("note: " + video_metrics.WARP_UNAVAILABLE, file=sys.stderr)

    def output(stem, mode):
        return os.path.join(args.out, f"{stem}.keyframes-{mode.label}.mkv")

    if args.dry_run:
        for stem, gray, _ in clips:
            print(shlex.join([args.kinecolor, "shots", gray, "--csv", os.path.join(args.out, stem + ".csv"), "-y", "-q"]))
            for k in range(args.rounds):
                print(f"# {stem}, round {k + 1} (timed)")
                for m in in_round(modes, k):
                    print(shlex.join(m.command(gray, output(stem, m), args)))
        return

    os.makedirs(args.out, exist_ok=True)
    results = []
    for stem, gray, color in clips:
        shots_csv = os.path.join(args.out, stem + ".csv")
        run([args.kinecolor, "shots", gray, "--csv", shots_csv, "-y", "-q"], "kinecolor shots")
        times = {m.label: [] for m in modes}
        for k in range(args.rounds):
            for m in in_round(modes, k):
                times[m.label].append(timed(m.command(gray, output(stem, m), args), "kinecolor colorize")[0])
                print(f"{stem} round {k + 1} {m.label}: {times[m.label][-1]:.2f} s", file=sys.stderr, flush=True)
        base = modes[0].label
        clip = {"clip": stem, "gray": gray, "color": color, "modes": {}}
        for m in modes:
            met = measure(output(stem, m), gray, color, shots_csv, args.flow_width)
            print(f"{stem} {m.label}: {json.dumps(met)}", file=sys.stderr, flush=True)
            clip["modes"][m.label] = {
                "command": m.command(gray, output(stem, m), args), "times": times[m.label],
                "time": statistics.median(times[m.label]),
                "speedup": statistics.median([b / t for b, t in zip(times[base], times[m.label])]),
                "ciede2000": met["ciede2000"], "cdc": met["cdc"], "colorfulness": met["colorfulness"],
                "colorfulness_gt": met["colorfulness_gt"], "warp": met["chroma_warp_error"], "metrics": met}
        b = clip["modes"][base]
        t = clip["modes"].get("today")
        for r in clip["modes"].values():
            r["d_ciede2000"] = None if r["ciede2000"] is None or b["ciede2000"] is None else r["ciede2000"] - b["ciede2000"]
            r["d_cdc"] = None if r["cdc"] is None or b["cdc"] is None else r["cdc"] - b["cdc"]
            r["d_warp_pct"] = pct(r["warp"], b["warp"])
            r["d_warp_today_pct"] = pct(r["warp"], t["warp"]) if t else None
        results.append(clip)

    header = [f"`python3 -m kinecolor_training.keyframes_report {shlex.join(sys.argv[1:])}` on "
              f"{datetime.date.today().isoformat()}: kinecolor {version(args.kinecolor)}"
              + (f" (today: {version(args.today)})" if args.today else "")
              + f", {os.cpu_count()} cores ({platform.machine()}), model {args.model or 'embedded'}, "
              f"output `{args.encode}`" + (f", `{args.extra}`" if args.extra else "") + "."]
    lines = header + [""] + table(results, modes, args.rounds) + ["", (
        "Time: wall clock of `kinecolor colorize` (decode, shots, network, smoothing, encode). Speedup: median over "
        f"rounds of {modes[0].label}'s time / the mode's, same round; the mean row's is the geometric mean over clips. "
        + METRICS_NOTE + " Δ of the warping error is the relative change.")]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(args.out, "keyframes_report.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(args.out, "keyframes_report.json"), "w") as f:
        json.dump({"argv": sys.argv[1:], "modes": [m.label for m in modes], "clips": results}, f, indent=1)
    print(f"wrote {os.path.join(args.out, 'keyframes_report.md')} and keyframes_report.json", file=sys.stderr)


if __name__ == "__main__":
    main()
