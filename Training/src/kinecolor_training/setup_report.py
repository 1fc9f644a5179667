"""A camera setup that returns (issue 12): does the same picture keep its colors across an intervening shot?

    python3 -m kinecolor_training.setup_report --kinecolor .build/release/kinecolor [--before OLD_KINECOLOR]
        [--clip megamind_animated_ac3] [--other bbb_animated_5.1audio] [-n 40] [-k 5] [--extra '--threads 2']
        [--samples DIR] [--out DIR] [--dry-run]

Dialogue scenes cut A B A B: the camera setup A returns after a shot of another setup B. A build that draws
the random code z per shot (from the seed and the shot's index) colors the second A shot with another z than
the first, so the same face changes color when the setup returns; a build that draws one z for the film
(from the seed alone) should not. This report measures that on a film built for it.

1. The film. From the samples folder (../shared/samples next to the repository, or
   $KINECOLOR_SHARED/samples) take clip X (--clip; default megamind_animated_ac3, else carphone_face) and
   clip Y (--other; default bbb_animated_5.1audio), both with a `_gray` twin of the same frames. Cut
   A1 = X's frames [0, n), A2 = X's frames [n, 2n) (A2 continues A1: the same setup, the next moment) and
   B = Y's frames [0, n) (n = -n, default 40), and join them as A1 B A2 with ffmpeg, once from the gray
   twins (the input) and once from the color originals (the ground truth), with the same command:
   one filtergraph trims the pieces by frame number, scales B to fit X's size (aspect kept) and pads it,
   gives every piece X's sample aspect ratio, concatenates them and renumbers the timestamps to frame k at
   k / R (R: X's frame rate), into lossless FFV1 (.mkv, no audio). The two films are checked to have 3n
   frames with identical timestamps. Frame numbers count the frames as decoded (a gap in a clip's
   timestamps, as the Megamind sample has after its first frame, is not filled with a repeated frame).
   `kinecolor shots GRAY_FILM` (each binary) then lists the shots it detects; the film is built to have
   cuts before frames n + 1 and 2n + 1 (1-based), so the expected list is 1-n, n+1-2n, 2n+1-3n.
2. `kinecolor colorize GRAY_FILM -o OUT -y -q --codec ffv1 EXTRA` with --kinecolor (`new`) and, when given,
   --before (`before`, e.g. a build of the commit before one z per film), --extra added to both.
3. For each output, and for the color film itself (row `color original`): with frames 0-based in the film,
   (a) ΔE A1 end -> A2 start: the mean over the pixels of the CIEDE2000 between frame n - 1 (A1's last)
       and frame 2n (A2's first). These are neighbouring moments of one setup, so the picture barely
       changes between them: what the output adds to the original's value is the shot boundary's doing;
   (b) ΔE over k pairs: the mean of the same over the pairs (n - 1 - i, 2n + i), i < k (-k, default 5 or n);
   (c) ΔE vs original, A1 and A2: the mean CIEDE2000 of the output against the color film over A1's frames
       and over A2's (n/a for the color original's row).
   CIEDE2000 of the decoded sRGB frames (color.py's conversion and formula, as video_metrics).

Prints a Markdown table (binary, (a), (b), (c) on A1 and on A2) with the detected shot lists, and writes it,
with every number as JSON, to --out (setup_report.md, setup_report.json; the films and outputs stay there).
--dry-run prints the commands and runs nothing.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
from fractions import Fraction

from . import paths, video_metrics
from .keyframes_report import find_clips, fmt, run, timed, version

DEFAULT_CLIPS = ("megamind_animated_ac3", "carphone_face")
DEFAULT_OTHER = "bbb_animated_5.1audio"
ORIGINAL = "color original"


# ---------------------------------------------------------------- the film

def segments(n):
    """The film's pieces as 0-based half-open frame ranges: A1, B, A2."""
    if n < 1:
        raise ValueError(f"n = {n}: each piece needs at least one frame")
    return {"A1": (0, n), "B": (n, 2 * n), "A2": (2 * n, 3 * n)}


def boundary_pairs(n, k):
    """The film's frame pairs (A1's i-th last, A2's i-th first), i < k: (n - 1 - i, 2n + i)."""
    if not 1 <= k <= n:
        raise ValueError(f"k = {k}: must be in 1..n = {n}")
    return [(n - 1 - i, 2 * n + i) for i in range(k)]


def film_filter(n, width, height, sar, rate):
    """The filtergraph joining inputs 0 (X) and 1 (Y) into A1 B A2 at width x height, sample aspect ratio sar
    ('W:H') and frame rate rate ('N/D' or 'N'); its output pad is [film]."""
    num, den = Fraction(rate).numerator, Fraction(rate).denominator
    # setsar takes an expression, approximated by a fraction of terms up to max: 'W/H' with max above W and H.
    w, h = (int(v) for v in sar.split(":"))
    sar = f"sar={w}/{h}:max={max(100, w, h)}"
    piece = "trim=start_frame={}:end_frame={},setpts=PTS-STARTPTS"
    return ";".join([
        "[0:v]split=2[x1][x2]",
        f"[x1]{piece.format(0, n)},setsar={sar}[a1]",
        f"[x2]{piece.format(n, 2 * n)},setsar={sar}[a2]",
        f"[1:v]{piece.format(0, n)},scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar={sar}[b]",
        f"[a1][b][a2]concat=n=3:v=1:a=0,setpts=N*{den}/({num}*TB)[film]",
    ])


def film_command(x, y, out, n, width, height, sar, rate):
    """ffmpeg's command line building the film A1 B A2 from clips x (A) and y (B) into out (FFV1, no audio)."""
    return ["ffmpeg", "-v", "error", "-y", "-i", x, "-i", y,
            "-filter_complex", film_filter(n, width, height, sar, rate), "-map", "[film]", "-an", "-sn",
            "-r", str(rate), "-c:v", "ffv1", out]


def stream_info(path):
    """(width, height, sample aspect ratio 'W:H' (1:1 when unset), frame rate 'N/D') of path's first video stream."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height,sample_aspect_ratio,r_frame_rate", "-of", "json", path],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"ffprobe {path} failed: {out.stderr.strip()}")
    streams = json.loads(out.stdout).get("streams") or []
    if not streams:
        sys.exit(f"{path}: no video stream")
    s = streams[0]
    sar = s.get("sample_aspect_ratio") or "1:1"
    if sar in ("0:1", "N/A"):
        sar = "1:1"
    return int(s["width"]), int(s["height"]), sar, s["r_frame_rate"]


def packet_times(path):
    """The video packets' pts (in the stream's time base), in presentation order."""
    out = subprocess.check_output(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                   "packet=pts", "-of", "csv=p=0", path], text=True)
    return sorted(int(v) for v in out.split() if v.strip() not in ("", "N/A"))


# ---------------------------------------------------------------- shots

def expected_shots(n):
    return list(segments(n).values())


def shot_text(shots):
    """1-based inclusive frame ranges, e.g. '1–40, 41–80, 81–120'."""
    return ", ".join(f"{start + 1}–{end}" for start, end in shots)


# ---------------------------------------------------------------- measuring

def setup_metrics(frames, truth, n, k):
    """The metrics of one film A1 B A2: frames, its uint8 sRGB frames in order (3n or more); truth, the color
    film's frames (same size) or None. Returns a dict: boundary (ΔE of frame n - 1 against 2n), pairs (ΔE of
    each boundary_pairs(n, k)), pairs_mean, vs_original {A1, A2} (mean over the piece's frames of the ΔE
    against truth; None without truth) and frames (how many were read)."""
    pairs = boundary_pairs(n, k)
    keep = {i for pair in pairs for i in pair}
    seg = segments(n)
    kept, sums, count = {}, {"A1": [0.0, 0], "A2": [0.0, 0]}, 0
    truth_iter = iter(truth) if truth is not None else None
    for i, rgb in enumerate(frames):
        count = i + 1
        if i in keep:
            kept[i] = rgb
        if truth_iter is not None:
            ref = next(truth_iter, None)
            if ref is None:
                raise ValueError(f"the ground truth ends after {i} frames")
            for name, acc in sums.items():
                if seg[name][0] <= i < seg[name][1]:
                    acc[0] += video_metrics.mean_ciede2000(rgb, ref)
                    acc[1] += 1
        if i + 1 >= 3 * n:
            break
    if count < 3 * n:
        raise ValueError(f"{count} frames; the film A1 B A2 has {3 * n}")
    values = [video_metrics.mean_ciede2000(kept[a], kept[b]) for a, b in pairs]
    return {"boundary": values[0], "pairs": values, "pairs_mean": sum(values) / len(values),
            "vs_original": {name: (s / c if truth is not None else None) for name, (s, c) in sums.items()},
            "frames": count}


def measure_film(path, truth_path, n, k):
    video = video_metrics.Frames(path)
    truth = video_metrics.Frames(truth_path, (video.w, video.h)) if truth_path else None
    try:
        return setup_metrics(video, truth, n, k)
    finally:
        for f in (video, truth):  # stop the decoders that were not read to the end
            if f is not None and f.proc.poll() is None:
                f.proc.kill()
                f.proc.wait()


# ---------------------------------------------------------------- the report

def table(rows, k):
    head = ["binary", "ΔE A1 end → A2 start", f"ΔE over {k} pairs (mean)", "ΔE vs original, A1", "ΔE vs original, A2"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        m = r["metrics"]
        lines.append("| " + " | ".join([r["label"], fmt(m["boundary"], ".2f"), fmt(m["pairs_mean"], ".2f"),
                                        fmt(m["vs_original"]["A1"], ".2f"), fmt(m["vs_original"]["A2"], ".2f")]) + " |")
    return lines


def pick_clips(samples, clip, other):
    """((stem, gray, color) of X, of Y) from samples; exits with a message when one is missing."""
    if not os.path.isdir(samples):
        sys.exit(f"{samples}: samples folder not found")
    clips = {c[0]: c for c in find_clips(samples)}
    if clip is None:
        clip = next((c for c in DEFAULT_CLIPS if c in clips), None)
        if clip is None:
            sys.exit(f"{samples}: none of {', '.join(DEFAULT_CLIPS)} with a _gray twin; name one with --clip")
    for name, what in ((clip, "--clip"), (other, "--other")):
        if name not in clips:
            sys.exit(f"{what} {name}: no clip with a _gray twin of that name in {samples}")
    if clip == other:
        sys.exit(f"--clip and --other are both {clip}: B must be another setup")
    return clips[clip], clips[other]


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.setup_report", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kinecolor", required=True, help="the kinecolor binary under test (row 'new')")
    ap.add_argument("--before", metavar="OLD_KINECOLOR", help="an older kinecolor binary to compare (row 'before')")
    ap.add_argument("--clip", help=f"clip X, the setup that returns (default: {' or '.join(DEFAULT_CLIPS)})")
    ap.add_argument("--other", default=DEFAULT_OTHER, help="clip Y, the intervening shot B (default: %(default)s)")
    ap.add_argument("-n", type=int, default=40, help="frames of each piece A1, B, A2 (default: %(default)s)")
    ap.add_argument("-k", type=int, help="boundary pairs averaged (default: 5, at most n)")
    ap.add_argument("--samples", help="folder of the samples (default: ../shared/samples or $KINECOLOR_SHARED/samples)")
    ap.add_argument("--out", default="/tmp/kinecolor_setup_report")
    ap.add_argument("--extra", default="", help="more arguments for both colorize commands (e.g. '--threads 2')")
    ap.add_argument("--reference-frame", type=int, metavar="F",
                    help="give every colorize the color film's frame F (1-based, in A1) as a reference, and add a "
                         "row for the new binary with --no-setups (A2 then borrows nothing from A1)")
    ap.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    args = ap.parse_args()
    if args.n < 1:
        ap.error("-n must be at least 1")
    if args.k is None:
        args.k = min(5, args.n)
    if not 1 <= args.k <= args.n:
        ap.error(f"-k must be in 1..n ({args.n})")
    samples = args.samples or paths.shared_dir("samples")
    (x, x_gray, x_color), (y, y_gray, y_color) = pick_clips(samples, args.clip, args.other)
    width, height, sar, rate = stream_info(x_gray)
    n, k = args.n, args.k
    if args.reference_frame is not None and not 1 <= args.reference_frame <= n:
        ap.error(f"--reference-frame must be in A1's frames 1..{n}")

    gray_film = os.path.join(args.out, "setup_gray.mkv")
    color_film = os.path.join(args.out, "setup_color.mkv")
    builds = [film_command(x_gray, y_gray, gray_film, n, width, height, sar, rate),
              film_command(x_color, y_color, color_film, n, width, height, sar, rate)]
    binaries = [("before", args.before)] if args.before else []
    binaries.append(("new", args.kinecolor))
    reference = None
    if args.reference_frame is not None:
        reference = os.path.join(args.out, f"reference_{args.reference_frame}.png")
        builds.append(["ffmpeg", "-v", "error", "-y", "-i", color_film, "-vf",
                       f"select=eq(n\\,{args.reference_frame - 1})", "-frames:v", "1", reference])
    runs = [(label, binary, []) for label, binary in binaries]
    if reference:
        runs.append(("new, --no-setups", args.kinecolor, ["--no-setups"]))

    def shots_command(label, binary):
        return [binary, "shots", gray_film, "--csv", os.path.join(args.out, f"setup_shots-{label}.csv"), "-y", "-q"]

    def colorize_command(label, binary, flags=()):
        refs = ["--reference", f"{args.reference_frame}={reference}"] if reference else []
        name = label.replace(", ", "_").replace("--", "")
        return ([binary, "colorize", gray_film, "-o", os.path.join(args.out, f"setup-{name}.mkv"), "-y", "-q",
                 "--codec", "ffv1"] + refs + list(flags) + shlex.split(args.extra))

    if args.dry_run:
        print(f"# film A1 B A2: {x} frames 1–{n}, {y} frames 1–{n} (fit into {width}x{height}), {x} frames "
              f"{n + 1}–{2 * n}; {rate} fps")
        for cmd in builds:
            print(shlex.join(cmd))
        for label, binary in binaries:
            print(shlex.join(shots_command(label, binary)))
        for label, binary, flags in runs:
            print(shlex.join(colorize_command(label, binary, flags)))
        return

    os.makedirs(args.out, exist_ok=True)
    for cmd in builds:
        run(cmd, "ffmpeg (building the film)")
    times = [packet_times(gray_film), packet_times(color_film)]
    if len(times[0]) != 3 * n or times[0] != times[1]:
        sys.exit(f"the films do not match: {len(times[0])} and {len(times[1])} frames (want {3 * n} each), "
                 f"timestamps {'equal' if times[0] == times[1] else 'different'}; is {x} or {y} too short?")
    print(f"built {gray_film} and {color_film}: {3 * n} frames, {width}x{height}, {rate} fps", file=sys.stderr)

    detected = {}
    for label, binary in binaries:
        cmd = shots_command(label, binary)
        run(cmd, "kinecolor shots")
        detected[label] = sorted(video_metrics.read_shot_csv(cmd[cmd.index("--csv") + 1]))
        print(f"shots ({label}): {shot_text(detected[label])}", file=sys.stderr, flush=True)

    rows = []
    for label, binary, flags in runs:
        cmd = colorize_command(label, binary, flags)
        seconds = timed(cmd, "kinecolor colorize")[0]
        print(f"colorize ({label}): {seconds:.1f} s", file=sys.stderr, flush=True)
        try:
            metrics = measure_film(cmd[cmd.index("-o") + 1], color_film, n, k)
        except ValueError as e:
            sys.exit(f"{cmd[cmd.index('-o') + 1]}: {e}")
        rows.append({"label": label, "binary": binary, "version": version(binary), "command": cmd,
                     "time": seconds, "shots": detected[label.split(",")[0]], "metrics": metrics})
    rows.append({"label": ORIGINAL, "binary": None, "version": None, "command": None, "time": None, "shots": None,
                 "metrics": measure_film(color_film, None, n, k)})

    want = expected_shots(n)
    shot_lines = [f"- `kinecolor shots` ({label}): {shot_text(detected[label])} "
                  + ("(as built)" if detected[label] == want else f"(**differs** from the film's {shot_text(want)})")
                  for label, _ in binaries]
    header = (f"`python3 -m kinecolor_training.setup_report {shlex.join(sys.argv[1:])}` on "
              f"{datetime.date.today().isoformat()}: "
              + ", ".join(f"{label} `{binary}` ({version(binary)})" for label, binary in binaries)
              + f"; {os.cpu_count()} cores ({platform.machine()})" + (f", `{args.extra}`" if args.extra else "") + ".")
    film = (f"Film A1 B A2, {3 * n} frames at {width}×{height}, {rate} fps, lossless FFV1: A1 = {x} frames 1–{n}, "
            f"B = {y} frames 1–{n} (fit into {width}×{height}), A2 = {x} frames {n + 1}–{2 * n} (the same setup, "
            f"the next moment); the input is built from the gray twins, the ground truth from the color originals."
            + (f" Every colorize got the color film's frame {args.reference_frame} (in A1) as its reference "
               f"(`--reference {args.reference_frame}=…`); A2 has none of its own." if reference else ""))
    note = (f"ΔE: mean CIEDE2000 over the pixels (Training/src/kinecolor_training/color.py). A1 end → A2 start: the "
            f"film's frame {n} against frame {2 * n + 1} (1-based), neighbouring moments of one setup, so what an "
            f"output adds to the color original's value is the shot boundary's doing; over {k} pairs: the mean of "
            f"the same for A1's i-th last frame against A2's i-th first, i < {k}. vs original: the mean CIEDE2000 "
            f"of the output against the color original over A1's and over A2's frames.")
    lines = [header, "", film, ""] + shot_lines + [""] + table(rows, k) + ["", note]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(args.out, "setup_report.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(args.out, "setup_report.json"), "w") as f:
        json.dump({"argv": sys.argv[1:], "clip": x, "other": y, "n": n, "k": k, "width": width, "height": height,
                   "sar": sar, "rate": rate, "films": {"gray": gray_film, "color": color_film,
                                                        "commands": builds},
                   "expected_shots": want, "rows": rows},
                  f, indent=1)
    print(f"wrote {os.path.join(args.out, 'setup_report.md')} and setup_report.json", file=sys.stderr)


if __name__ == "__main__":
    main()
