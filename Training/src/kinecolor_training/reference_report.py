"""Reference frames (issue 12): one color frame per shot, its colors carried through the shot, on the samples.

    python3 -m kinecolor_training.reference_report --kinecolor .build/release/kinecolor
        [--positions first,middle] [--rounds 1] [--out DIR] [--encode '--codec ffv1']
        [--extra '--threads 2'] [--clips carphone_face,...] [--samples DIR] [--flow-width W] [--dry-run]
    python3 -m kinecolor_training.reference_report --kinecolor .build/release/kinecolor --single 10
        --clips megamind_animated_ac3

The protocol of the exemplar-based video colorization papers (e.g. Zhang et al., "Deep Exemplar-based Video
Colorization", CVPR 2019): the reference is the ground truth's own frame, so the measure is how well the
colors of one given frame are carried through the rest of its shot, not how well they are guessed.

For every clip of the samples folder (../shared/samples next to the repository, or
$KINECOLOR_SHARED/samples) that has a `_gray` twin:

1. `kinecolor shots GRAY --csv OUT/CLIP.csv`: the cut list, for the references and for the metrics.
2. For each position of --positions (`first`: a shot's first frame; `middle`: its frame
   (start + end - 1) // 2, 0-based, end exclusive), for every shot, that frame N (0-based) of the COLOR
   original as a PNG: `ffmpeg -v error -y -i COLOR -vf select=eq(n\\,N) -vsync 0 -frames:v 1 PNG`, checked to
   decode to one picture of the original's size. The PNGs stay in OUT/CLIP.references/POSITION/.
3. In each of --rounds rounds (default 1; the order reverses every other round, so that no mode always
   runs first), each run timed by its wall clock (the extraction is not timed):
     auto               `kinecolor colorize GRAY -o OUT -y -q --codec ffv1` (no reference: the baseline)
     reference@POSITION the same with one `--reference F=PNG` per shot, F = N + 1 (1-based)
4. `video_metrics` of every output against the color twin, as keyframes_report measures them: CIEDE2000,
   CDC, colorfulness (of the original too), chroma warping error (flow on the gray twin's luma, so every
   mode is measured along the same flow; pairs across cuts skipped); and the mean CIEDE2000 over each
   shot's frames, so that shots with a static camera (or any shot) can be read separately. The frames
   given as references count in the means like any other frame.

Prints, per clip, a Markdown table (mode, time, CIEDE2000, its change against `auto` in %, the target
being at least 40 % lower, CDC, colorfulness (original), warping error ×10⁴) and a table of the
per-shot CIEDE2000; then the mean over clips. Writes it, with every number as JSON, to --out
(reference_report.md, reference_report.json). Output is lossless FFV1 by default (--encode), so the
metrics measure the colorization and not the encoder; --extra is added to every colorize command
(e.g. '--threads 2 --strict'). --dry-run prints the commands and runs nothing (the frames of the
references come from OUT/CLIP.csv when a previous run left it, else the commands show N and F).

--single F replaces the positions with one reference for the whole film, the color original's frame F
(1-based): what a restorer does who paints one frame of a dialogue. Its modes are single@F (kinecolor's
default: the shots of F's camera setup borrow it, carried into them by flow) and single@F --no-setups (F's
shot alone); the per-shot table then shows which shots a returning setup helps and that the others are
untouched.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys

import numpy as np

from . import video_metrics
from .keyframes_report import (METRICS_NOTE, add_run_arguments, fmt, in_round, mean, measure, pct, run, select_clips,
                               signed, timed, version)

POSITIONS = ("first", "middle")
BASELINE = "auto"
# The color twin itself, measured like an output: what CDC and the warping error are for the truth. A
# faithful colorization is bound by them, not by an automatic render that is half as colorful.
ORIGINAL = "original (the color twin)"
TARGET_PCT = -40.0  # issue 12: references should cut the CIEDE2000 of the automatic render by at least 40 %


def reference_index(start, end, position):
    """The 0-based frame of the shot [start, end) (0-based, end exclusive) given as the reference at position."""
    if end <= start:
        raise ValueError(f"empty shot [{start}, {end})")
    if position == "first":
        return start
    if position == "middle":
        return (start + end - 1) // 2
    raise ValueError(f"unknown position {position!r}; expected one of {', '.join(POSITIONS)}")


def parse_positions(text):
    """--positions: comma-separated, each of POSITIONS, no repeats; the list, or ValueError."""
    positions = [p.strip() for p in text.split(",")]
    for p in positions:
        if p not in POSITIONS:
            raise ValueError(f"--positions {text!r}: {p!r} is not one of {', '.join(POSITIONS)}")
    if len(set(positions)) != len(positions):
        raise ValueError(f"--positions {text!r}: a position twice")
    return positions


def mode_label(position):
    return BASELINE if position is None else f"reference@{position}"


NO_SETUPS = "--no-setups"


def single_labels(frame):
    """The modes of --single F: F given with setups (kinecolor's default) and with --no-setups."""
    return [f"single@{frame}", f"single@{frame} {NO_SETUPS}"]


def single_reference(shots, frame, folder):
    """--single's one reference, as reference_frames gives them, for frame (1-based) of the film cut into shots
    [start, end) (0-based, end exclusive); ValueError when no shot holds it."""
    for k, (start, end) in enumerate(shots):
        if start <= frame - 1 < end:
            return [{"shot": k + 1, "start": start, "end": end, "index": frame - 1, "frame": frame,
                     "image": os.path.join(folder, f"frame-{frame:06d}.png")}]
    raise ValueError(f"--single {frame}: the cut list's shots end at frame {max(e for _, e in shots)}")


def reference_frames(shots, position, folder):
    """One reference per shot [start, end) of shots: dicts with the shot (1-based), its frames (0-based, end
    exclusive), the frame N (0-based), F = N + 1 (the 1-based number --reference takes) and the PNG's path."""
    refs = []
    for k, (start, end) in enumerate(shots):
        n = reference_index(start, end, position)
        refs.append({"shot": k + 1, "start": start, "end": end, "index": n, "frame": n + 1,
                     "image": os.path.join(folder, f"frame-{n + 1:06d}.png")})
    return refs


def extract_command(color, n, png):
    """ffmpeg writing frame n (0-based, in decoding order) of color as png."""
    return ["ffmpeg", "-v", "error", "-y", "-i", color, "-vf", f"select=eq(n\\,{n})", "-vsync", "0",
            "-frames:v", "1", png]


def colorize_command(binary, gray, out, refs, encode="--codec ffv1", extra=""):
    """`kinecolor colorize` of gray into out, with one --reference F=PNG per entry of refs (none: auto)."""
    cmd = [binary, "colorize", gray, "-o", out, "-y", "-q"] + shlex.split(encode)
    for r in refs:
        cmd += ["--reference", f"{r['frame']}={r['image']}"]
    return cmd + shlex.split(extra)


def check_image(png, size, what):
    """Exits unless png exists and decodes to exactly one picture of size (width, height)."""
    if not os.path.isfile(png) or os.path.getsize(png) == 0:
        sys.exit(f"{what}: ffmpeg wrote no picture to {png} (is the frame past the end of the video?)")
    try:
        got = video_metrics.probe(png)
        pictures = sum(1 for _ in video_metrics.Frames(png))
    except (subprocess.CalledProcessError, ValueError) as e:
        sys.exit(f"{what}: {png} does not decode ({e})")
    if got != tuple(size):
        sys.exit(f"{what}: {png} is {got[0]}x{got[1]}, the video {size[0]}x{size[1]}")
    if pictures != 1:
        sys.exit(f"{what}: {png} decodes to {pictures} pictures, not 1")


def has_color(png, tolerance=6, share=0.005):
    """Whether png has color to take, by kinecolor's own rule (ReferenceImage.load): at least `share` of
    its pixels differ from gray by more than `tolerance` (of 255) in some channel pair."""
    rgb = next(iter(video_metrics.Frames(png))).astype(np.int16)
    spread = np.max(np.abs(rgb - np.roll(rgb, 1, axis=2)), axis=2)
    return float(np.mean(spread > tolerance)) >= share


def extract_references(color, refs, size):
    """Writes every reference's PNG from the color original and checks it. A frame with no color (a
    black frame at a shot's start) cannot be a reference (kinecolor refuses a gray image): the next
    frame of the shot that has color is taken instead, and said."""
    for r in refs:
        os.makedirs(os.path.dirname(r["image"]) or ".", exist_ok=True)
        while True:
            if os.path.exists(r["image"]):
                os.remove(r["image"])  # so that a stale PNG cannot pass for a frame ffmpeg did not write
            what = f"frame {r['frame']} (shot {r['shot']}) of {color}"
            run(extract_command(color, r["index"], r["image"]), "ffmpeg, " + what)
            check_image(r["image"], size, what)
            if has_color(r["image"]) or r["index"] + 1 >= r["end"]:
                break
            print(f"{what} has no color (a black or gray frame); taking the next one", file=sys.stderr)
            os.remove(r["image"])
            r["index"] += 1
            r["frame"] += 1
            r["image"] = os.path.join(os.path.dirname(r["image"]), f"frame-{r['frame']:06d}.png")


def sorted_shots(csv_path):
    shots = sorted(video_metrics.read_shot_csv(csv_path))
    if not shots:
        sys.exit(f"{csv_path}: no shot in the cut list")
    return shots


# ---------------------------------------------------------------- tables

def mode_table(rows, rounds, first="mode"):
    """Markdown lines: one row per (label, result) of rows, result holding time, ciede2000, d_ciede2000_pct,
    cdc, colorfulness, colorfulness_gt, warp."""
    head = [first, f"time, s (median of {rounds})", "CIEDE2000",
            f"Δ vs {BASELINE} (target ≤ {TARGET_PCT:.0f} %)", "CDC", "colorfulness (original)", "warping error ×10⁴"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, r in rows:
        d = r["d_ciede2000_pct"]
        cells = [label, fmt(r["time"], ".2f"), fmt(r["ciede2000"], ".2f"),
                 "—" if label.endswith((BASELINE, ORIGINAL)) else signed(d, ".1f") + " %", fmt(r["cdc"], ".5f"),
                 f"{fmt(r['colorfulness'], '.1f')} ({fmt(r['colorfulness_gt'], '.1f')})",
                 fmt(None if r["warp"] is None else 1e4 * r["warp"], ".3f")]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def shot_table(clip, labels):
    """Markdown lines: per shot of clip, its frames (1-based, inclusive), then per mode its mean CIEDE2000 (and,
    for the reference modes, the frame given and the change against auto)."""
    head = ["shot", "frames"]
    for label in labels:
        head += [f"{label} CIEDE2000"] if label == BASELINE else [f"{label} (frame given)", "Δ vs auto"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k, (start, end) in enumerate(clip["shots"]):
        cells = [str(k + 1), f"{start + 1}–{end} ({end - start})"]
        base = clip["modes"][BASELINE]["ciede2000_shots"][k]
        for label in labels:
            r = clip["modes"][label]
            de = r["ciede2000_shots"][k]
            if label == BASELINE:
                cells.append(fmt(de, ".2f"))
            else:
                # --single gives one shot a frame; the others show what they borrow or keep
                given = [x["frame"] for x in clip["references"][label] if x["shot"] == k + 1]
                cells += [fmt(de, ".2f") + (f" ({given[0]})" if given else ""), signed(pct(de, base), ".1f") + " %"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def mean_result(results, label):
    rs = [c["modes"][label] for c in results]
    return {k: mean([r[k] for r in rs]) for k in ("time", "ciede2000", "d_ciede2000_pct", "cdc", "colorfulness",
                                                  "colorfulness_gt", "warp")}


def report(results, labels, rounds):
    """The Markdown lines of every clip's tables and of the mean over clips."""
    lines = []
    for clip in results:
        frames = clip["modes"][BASELINE]["metrics"]["frames"]
        shots = len(clip["shots"])
        lines += [f"### {clip['clip']} ({frames} frames, {shots} shot{'s' if shots != 1 else ''})", ""]
        lines += mode_table([(label, clip["modes"][label]) for label in labels] + original_row(clip), rounds)
        lines += ["", "CIEDE2000 per shot:", ""] + shot_table(clip, labels) + [""]
    lines += [f"### mean over {len(results)} clip{'s' if len(results) != 1 else ''}", ""]
    rows = [(f"**mean** {label}", mean_result(results, label)) for label in labels]
    if all(ORIGINAL in c for c in results):
        rows.append((f"**mean** {ORIGINAL}", {k: mean([c[ORIGINAL][k] for c in results]) for k in rows[0][1]}))
    lines += mode_table(rows, rounds)
    return lines


def original_row(clip):
    """The color twin's own row, when it was measured (a report from before it was added has none)."""
    return [(ORIGINAL, clip[ORIGINAL])] if ORIGINAL in clip else []


def original_result(met):
    """The color twin measured as an output: not timed, CIEDE2000 0 against itself."""
    return {"time": None, "ciede2000": met["ciede2000"], "d_ciede2000_pct": None, "cdc": met["cdc"],
            "colorfulness": met["colorfulness"], "colorfulness_gt": met["colorfulness_gt"],
            "warp": met["chroma_warp_error"]}


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.reference_report", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kinecolor", required=True, help="the kinecolor binary under test")
    ap.add_argument("--positions", default="first,middle",
                    help="comma-separated reference positions in each shot: first, middle (default: first,middle)")
    ap.add_argument("--rounds", type=int, default=1, help="timed rounds, the order alternating (default: 1)")
    ap.add_argument("--single", type=int, metavar="F",
                    help="instead of --positions, one reference for the film: the color original's frame F "
                         "(1-based), with setups and with --no-setups")
    add_run_arguments(ap, "/tmp/kinecolor_reference_report")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    try:
        positions = [] if args.single else parse_positions(args.positions)
    except ValueError as e:
        ap.error(str(e))
    if args.single is not None and args.single < 1:
        ap.error(f"--single {args.single}: frames count from 1")
    if not args.dry_run and shutil.which("ffmpeg") is None:
        sys.exit("needs the ffmpeg and ffprobe binaries on PATH")
    args.samples, clips = select_clips(args.samples, args.clips)
    labels = [BASELINE] + (single_labels(args.single) if args.single else [mode_label(p) for p in positions])
    if video_metrics.cv2 is None and not args.dry_run:
        print("note: " + video_metrics.WARP_UNAVAILABLE, file=sys.stderr)

    def output(stem, label):
        return os.path.join(args.out, f"{stem}.{label.replace('@', '-').replace(' ', '')}.mkv")

    def folder(stem, position):
        return os.path.join(args.out, f"{stem}.references", position)

    def commands(stem, gray, refs):
        return {label: colorize_command(args.kinecolor, gray, output(stem, label), refs.get(label, []), args.encode,
                                        args.extra + (" " + NO_SETUPS if label.endswith(NO_SETUPS) else ""))
                for label in labels}

    def single_refs(stem, shots):
        """--single's reference under both of its labels (one PNG)."""
        try:
            one = single_reference(shots, args.single, folder(stem, "single"))
        except ValueError as e:
            sys.exit(f"{stem}: {e}")
        return {label: one for label in labels[1:]}

    if args.dry_run:
        for stem, gray, color in clips:
            shots_csv = os.path.join(args.out, stem + ".csv")
            print(shlex.join([args.kinecolor, "shots", gray, "--csv", shots_csv, "-y", "-q"]))
            if args.single:
                refs = single_refs(stem, sorted_shots(shots_csv)) if os.path.isfile(shots_csv) else {
                    label: [{"index": args.single - 1, "frame": args.single,
                             "image": os.path.join(folder(stem, "single"), f"frame-{args.single:06d}.png")}]
                    for label in labels[1:]}
                print(shlex.join(extract_command(color, args.single - 1, refs[labels[1]][0]["image"])))
            elif os.path.isfile(shots_csv):
                print(f"# {stem}: references from the existing {shots_csv}")
                refs = {mode_label(p): reference_frames(sorted_shots(shots_csv), p, folder(stem, p)) for p in positions}
                for label in labels[1:]:
                    for r in refs[label]:
                        print(shlex.join(extract_command(color, r["index"], r["image"])))
            else:
                print(f"# {stem}: for every shot [start, end) of {shots_csv} and every position, N = start (first) "
                      "or (start + end - 1) // 2 (middle), F = N + 1:")
                refs = {}
                for p in positions:
                    print(shlex.join(extract_command(color, "N", os.path.join(folder(stem, p), "frame-F.png"))))
                    refs[mode_label(p)] = [{"frame": "F", "image": os.path.join(folder(stem, p), "frame-F.png")}]
            cmds = commands(stem, gray, refs)
            for k in range(args.rounds):
                print(f"# {stem}, round {k + 1} (timed)")
                for label in in_round(labels, k):
                    print(shlex.join(cmds[label]) + ("" if label == BASELINE or refs[label][0]["frame"] != "F"
                                                      else "  # one --reference per shot"))
        return

    os.makedirs(args.out, exist_ok=True)
    results = []
    for stem, gray, color in clips:
        shots_csv = os.path.join(args.out, stem + ".csv")
        run([args.kinecolor, "shots", gray, "--csv", shots_csv, "-y", "-q"], "kinecolor shots")
        shots = sorted_shots(shots_csv)
        size = video_metrics.probe(color)
        if video_metrics.probe(gray) != size:
            print(f"warning: {gray} is {'x'.join(map(str, video_metrics.probe(gray)))}, {color} "
                  f"{size[0]}x{size[1]}: the references are the original's size", file=sys.stderr)
        refs = {}
        for p in positions:
            refs[mode_label(p)] = reference_frames(shots, p, folder(stem, p))
            extract_references(color, refs[mode_label(p)], size)
        if args.single:
            refs = single_refs(stem, shots)
            extract_references(color, refs[labels[1]], size)  # the same dicts under both labels
        print(f"{stem}: {len(shots)} shot(s); references at {', '.join(positions) or f'frame {args.single}'} "
              "extracted", file=sys.stderr, flush=True)
        cmds = commands(stem, gray, refs)
        times = {label: [] for label in labels}
        for k in range(args.rounds):
            for label in in_round(labels, k):
                seconds, err = timed(cmds[label], "kinecolor colorize")
                times[label].append(seconds)
                print(f"{stem} round {k + 1} {label}: {seconds:.2f} s", file=sys.stderr, flush=True)
                if k == 0:  # e.g. a reference that does not resemble its frame
                    for line in err.strip().splitlines():
                        print(f"{stem} {label}: {line}", file=sys.stderr)
        clip = {"clip": stem, "gray": gray, "color": color, "shots": [list(s) for s in shots],
                "references": refs, "modes": {}}
        for label in labels:
            met = measure(output(stem, label), gray, color, shots_csv, args.flow_width)
            print(f"{stem} {label}: {json.dumps(met)}", file=sys.stderr, flush=True)
            per_shot = met["ciede2000_shots"] or [None] * len(shots)
            clip["modes"][label] = {
                "command": cmds[label], "times": times[label], "time": statistics.median(times[label]),
                "ciede2000": met["ciede2000"], "cdc": met["cdc"], "colorfulness": met["colorfulness"],
                "colorfulness_gt": met["colorfulness_gt"], "warp": met["chroma_warp_error"],
                "ciede2000_shots": per_shot, "metrics": met}
        clip[ORIGINAL] = original_result(measure(color, gray, color, shots_csv, args.flow_width))
        base = clip["modes"][BASELINE]
        for r in clip["modes"].values():
            r["d_ciede2000_pct"] = pct(r["ciede2000"], base["ciede2000"])
            r["d_ciede2000_shots_pct"] = [pct(de, b) for de, b in zip(r["ciede2000_shots"], base["ciede2000_shots"])]
        results.append(clip)

    header = [f"`python3 -m kinecolor_training.reference_report {shlex.join(sys.argv[1:])}` on "
              f"{datetime.date.today().isoformat()}: kinecolor {version(args.kinecolor)}, {os.cpu_count()} cores "
              f"({platform.machine()}), output `{args.encode}`" + (f", `{args.extra}`" if args.extra else "") + "."]
    lines = header + [""] + report(results, labels, args.rounds) + ["", (
        "auto: `kinecolor colorize` without references; " + (
            f"single@{args.single}: with one `--reference` for the film, the color original's frame {args.single} "
            "(in brackets in its shot's row of the per-shot table), the shots of its setup borrowing it; with "
            "`--no-setups` only its own shot has it. " if args.single else
            "reference@first / @middle: with one `--reference` per shot, the color original's first / middle frame "
            "of the shot (`kinecolor shots`' cut list). ") + "Time: wall clock of "
        f"`kinecolor colorize` (decode, shots, network, propagation, encode), median of {args.rounds} "
        f"round{'s' if args.rounds != 1 else ''}; the PNGs' extraction is not timed. Δ vs auto: relative change of "
        f"CIEDE2000 (issue 12's target: {TARGET_PCT:.0f} % or lower); the mean row's is the mean of the clips'. "
        "CIEDE2000 per shot: mean over the shot's frames, the reference frame included. " + METRICS_NOTE)]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(args.out, "reference_report.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(args.out, "reference_report.json"), "w") as f:
        json.dump({"argv": sys.argv[1:], "positions": positions, "single": args.single, "modes": labels, "clips": results}, f, indent=1)
    print(f"wrote {os.path.join(args.out, 'reference_report.md')} and reference_report.json", file=sys.stderr)


if __name__ == "__main__":
    main()
