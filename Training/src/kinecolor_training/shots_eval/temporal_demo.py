"""End-to-end check of KinecolorTemporal on real footage with known colors.

1. `prepare`: decodes a color sample at network-like resolution, converts it to
   CIELAB and adds the kind of chroma flicker a per-frame colorizer produces
   (a random global a/b shift and a smooth random a/b field, new every frame).
   Writes DIR/flicker.f32 and DIR/clean.f32 ([n, 3, h, w] float32: L/100 as the
   luma guide, a, b) and DIR/meta.json (size, shot starts, radii to try).
2. The Swift test TemporalTests/TemporalEvaluation (KINECOLOR_TEMPORAL_EVAL=DIR)
   streams both through TemporalSmoother and writes DIR/{flicker,clean}_rN.f32.
3. `report`: turns them back into lossless RGB videos and runs kinecolor_training.video_metrics
   on each against the clean one. Smoothing the flickering frames should bring
   them toward the truth; smoothing the clean frames should change little (what
   it changes is blur or ghosting from motion).

Usage:
  python3 -m kinecolor_training.shots_eval.temporal_demo prepare [--sample megamind] [--samples DIR] [--dir /tmp/kinecolor_temporal_eval]
  KINECOLOR_TEMPORAL_EVAL=/tmp/kinecolor_temporal_eval swift test --scratch-path .build-shots --filter TemporalEvaluation
  python3 -m kinecolor_training.shots_eval.temporal_demo report [--dir ...]
(--samples defaults to ../shared/samples next to the repository, or $KINECOLOR_SHARED/samples)
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

from .. import paths
from ..color import lab_to_srgb, srgb_to_lab

SAMPLES = {  # color sample, its true cuts (0-based shot starts), fps
    "megamind": ("megamind_animated_ac3.avi", [0, 99, 155, 201], "24000/1001"),
    "bbb": ("bbb_animated_5.1audio.mp4", [0], "25"),
}
W = 256


def lab_to_srgb8(lab):
    """CIELAB [..., 3] -> uint8 sRGB (color.lab_to_srgb, rounded)."""
    return np.clip(np.rint(lab_to_srgb(lab) * 255), 0, 255).astype(np.uint8)


def write_video(path, rgb_frames, fps):
    n, h, w, _ = rgb_frames.shape
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", f"{w}x{h}", "-r", fps, "-i", "-", "-c:v", "ffv1", "-pix_fmt", "bgr0", path],
                   input=rgb_frames.tobytes(), check=True)


def prepare(args):
    name, starts, fps = SAMPLES[args.sample]
    src = os.path.join(args.samples, name)
    probe = subprocess.check_output(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                     "stream=width,height", "-of", "csv=p=0", src]).decode().split(",")
    h = round(int(probe[1]) * W / int(probe[0]) / 2) * 2
    raw = subprocess.check_output(["ffmpeg", "-v", "error", "-i", src, "-vf", f"scale={W}:{h}:flags=area",
                                   "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    rgb = np.frombuffer(raw, np.uint8).reshape(-1, h, W, 3)
    lab = srgb_to_lab(rgb)
    rng = np.random.default_rng(7)
    noisy = lab.copy()
    for k in range(len(lab)):
        # Global shift plus a smooth field (4x4 random grid, bilinear) per frame.
        grid = rng.normal(0, 3.0, (2, 4, 4))
        ys, xs = np.linspace(0, 3, h), np.linspace(0, 3, W)
        y0, x0 = np.minimum(ys.astype(int), 2), np.minimum(xs.astype(int), 2)
        ty, tx = (ys - y0)[:, None], (xs - x0)[None, :]
        for c in range(2):
            g = grid[c]
            field = ((1 - ty) * (1 - tx) * g[y0][:, x0] + (1 - ty) * tx * g[y0][:, x0 + 1]
                     + ty * (1 - tx) * g[y0 + 1][:, x0] + ty * tx * g[y0 + 1][:, x0 + 1])
            noisy[k, :, :, 1 + c] += rng.normal(0, 3.0) + field
    os.makedirs(args.dir, exist_ok=True)
    for name, frames in (("flicker", noisy), ("clean", lab)):
        planes = np.stack([frames[..., 0] / 100, frames[..., 1], frames[..., 2]], axis=1).astype("<f4")
        planes.tofile(os.path.join(args.dir, name + ".f32"))
    meta = {"sample": args.sample, "fps": fps, "width": W, "height": h, "frames": len(lab),
            "shots": starts, "radii": [0, 2, 3, 5], "inputs": ["flicker", "clean"]}
    json.dump(meta, open(os.path.join(args.dir, "meta.json"), "w"))
    # Shot list for video_metrics (PySceneDetect CSV layout: 1-based start, inclusive end).
    ends = starts[1:] + [len(lab)]
    rows = ["", "Scene Number,Start Frame,Start Timecode,Start Time (seconds),End Frame,End Timecode,"
            "End Time (seconds),Length (frames),Length (timecode),Length (seconds)"]
    rows += [f"{i + 1},{s + 1},,,{e},,,{e - s},," for i, (s, e) in enumerate(zip(starts, ends))]
    open(os.path.join(args.dir, "shots.csv"), "w").write("\n".join(rows) + "\n")
    print(f"{len(lab)} frames {W}x{h} -> {args.dir}")


def report(args):
    meta = json.load(open(os.path.join(args.dir, "meta.json")))
    n, h, w = meta["frames"], meta["height"], meta["width"]

    def load(path):
        p = np.fromfile(path, "<f4").reshape(n, 3, h, w)
        return np.stack([p[:, 0] * 100, p[:, 1], p[:, 2]], axis=-1)

    videos = {}
    for name in ("clean", "flicker"):
        videos[name] = load(os.path.join(args.dir, name + ".f32"))
        for r in meta["radii"]:
            path = os.path.join(args.dir, f"{name}_r{r}.f32")
            if os.path.exists(path):
                videos[f"{name}_r{r}"] = load(path)
    for name, lab in videos.items():
        write_video(os.path.join(args.dir, name + ".mkv"), lab_to_srgb8(lab), meta["fps"])
    print(f"{'video':12s} {'CDC':>9s} {'chroma chg':>10s} {'CIEDE2000':>9s}")
    for name in videos:
        out = subprocess.check_output(
            [sys.executable, "-m", "kinecolor_training.video_metrics",
             os.path.join(args.dir, name + ".mkv"), "--gt", os.path.join(args.dir, "clean.mkv"),
             "--shots", os.path.join(args.dir, "shots.csv")]).decode()
        m = json.loads(out.split("METRICS ", 1)[1])
        print(f"{name:12s} {m['cdc']:9.5f} {m['chroma_change']:10.4f} {m['ciede2000']:9.4f}")


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.shots_eval.temporal_demo")
    ap.add_argument("step", choices=["prepare", "report"])
    ap.add_argument("--sample", default="megamind", choices=sorted(SAMPLES))
    ap.add_argument("--samples", help="the color samples (default: ../shared/samples next to the repository)")
    ap.add_argument("--dir", default="/tmp/kinecolor_temporal_eval")
    args = ap.parse_args()
    args.samples = args.samples or paths.shared_dir("samples")
    prepare(args) if args.step == "prepare" else report(args)


if __name__ == "__main__":
    main()
