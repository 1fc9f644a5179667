"""Temporal smoothing on real clips: colorizes the gray twins in ../shared/samples (next to the repository,
or $KINECOLOR_SHARED/samples) with and
without smoothing and measures flicker and accuracy against their color originals.

    python3 -m kinecolor_training.pipeline_report --kinecolor .build/release/kinecolor [--model FILE] [--smooth 0,3] [--out /tmp/report]

For each clip: `kinecolor shots` (for the cut list), `kinecolor colorize --smooth N --codec ffv1`,
then kinecolor_training.video_metrics against the color twin (CDC at gaps 1/2/4, mean frame-to-frame
chroma change inside shots, mean CIEDE2000). Prints a Markdown table (one row per clip and
smoothing) and the same as JSON.
"""

import argparse
import json
import os
import subprocess
import sys

from . import paths

CLIPS = [
    ("bbb_animated_5.1audio_gray.mp4", "bbb_animated_5.1audio.mp4"),
    ("carphone_face_gray.mp4", "carphone_face.mp4"),
    ("megamind_animated_ac3_gray.avi", "megamind_animated_ac3.avi"),
]


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.pipeline_report", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kinecolor", required=True)
    ap.add_argument("--samples", help="folder of the samples (default: ../shared/samples next to the repository, "
                                       "or $KINECOLOR_SHARED/samples)")
    ap.add_argument("--model")
    ap.add_argument("--class", dest="cls")
    ap.add_argument("--smooth", default="0,3")
    ap.add_argument("--out", default="/tmp/kinecolor_pipeline_report")
    args = ap.parse_args()
    args.samples = args.samples or paths.shared_dir("samples")
    if not os.path.isdir(args.samples):
        sys.exit(f"{args.samples}: samples folder not found")
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for gray, color in CLIPS:
        src, gt = os.path.join(args.samples, gray), os.path.join(args.samples, color)
        stem = os.path.splitext(gray)[0]
        shots_csv = os.path.join(args.out, stem + ".csv")
        subprocess.run([args.kinecolor, "shots", src, "--csv", shots_csv, "-y", "-q"], check=True, stdout=subprocess.DEVNULL)
        for n in map(int, args.smooth.split(",")):
            out = os.path.join(args.out, f"{stem}.smooth{n}.mkv")
            cmd = [args.kinecolor, "colorize", src, "-o", out, "--smooth", str(n), "--codec", "ffv1", "-y", "-q"]
            if args.model:
                cmd += ["--model", args.model]
            if args.cls:
                cmd += ["--class", args.cls]
            subprocess.run(cmd, check=True)
            text = subprocess.run([sys.executable, "-m", "kinecolor_training.video_metrics", out, "--gt", gt, "--shots", shots_csv],
                                  check=True, capture_output=True, text=True).stdout
            metrics = json.loads(next(l for l in text.splitlines() if l.startswith("METRICS")).split(" ", 1)[1])
            metrics.update(clip=stem, smooth=n)
            rows.append(metrics)
            print(f"{stem} smooth {n}: {json.dumps(metrics)}", file=sys.stderr, flush=True)
    print("| clip | shots | --smooth | CDC gap 1 | gap 2 | gap 4 | mean | chroma change (ΔE·a/b per frame) | CIEDE2000 vs color original |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        g = r["cdc_gaps"]
        print(f"| {r['clip']} | {r['shots']} | {r['smooth']} | {g['1']:.5f} | {g['2']:.5f} | {g['4']:.5f} | {r['cdc']:.5f} "
              f"| {r['chroma_change']:.3f} | {r['ciede2000']:.2f} |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
