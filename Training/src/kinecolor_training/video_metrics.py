"""Temporal-consistency and accuracy metrics for a colorized video.

    python3 -m kinecolor_training.video_metrics INPUT_COLORIZED [--gt GROUND_TRUTH_COLOR]
        [--shots shots.csv] [--width W] [--max-frames N] [--selftest]

Both videos are decoded with the ffmpeg binary to rgb24 and streamed frame by
frame (memory stays a few frames). Metrics:

* CDC, color distribution consistency (as in TCVC, Liu et al. 2021, and later
  video-colorization papers): for each frame gap t in {1, 2, 4}, the mean over
  frame pairs (i, i+t) of the Jensen-Shannon divergence (natural log, so in
  [0, ln 2]) between the frames' 256-bin histograms of R, G and B, averaged over
  the three channels; CDC is the mean of the three gaps. Lower is steadier.
  RGB channels (not a/b) so that numbers compare with the literature.
* Mean chroma change: mean over consecutive frame pairs and pixels of
  |a_{i+1} - a_i| + |b_{i+1} - b_i| in CIELAB (D65, color.py: BigColor's conversion, as the
  engine's). Lower is steadier.
* CIEDE2000 (mean over all pixels and frames) against a ground-truth color
  video of the same frames, e.g. the color twin of a gray sample (--gt).

With --shots (a PySceneDetect list-scenes CSV, as `kinecolor` writes it), frame
pairs that straddle a cut are skipped for CDC and chroma change.
Prints a small table, then one JSON line starting with `METRICS `.
"""
import argparse
import bisect
import csv
import json
import subprocess
import sys

import numpy as np

from .color import ciede2000, srgb_to_lab

GAPS = (1, 2, 4)


# ---------------------------------------------------------------- decoding

def probe(path):
    out = subprocess.check_output(
        ["ffprobe", "-v", "error", "-select_streams", "v:0",
         "-show_entries", "stream=width,height", "-of", "csv=p=0", path])
    w, h = out.decode().strip().split(",")[:2]
    return int(w), int(h)


class Frames:
    """rgb24 frames of a video, one at a time, optionally scaled to width x height."""

    def __init__(self, path, size=None):
        self.w, self.h = size or probe(path)
        args = ["ffmpeg", "-v", "error", "-i", path]
        if size:
            args += ["-vf", f"scale={self.w}:{self.h}:flags=area"]
        args += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE)
        self.frame_bytes = self.w * self.h * 3

    def __iter__(self):
        while True:
            data = self.proc.stdout.read(self.frame_bytes)
            if len(data) < self.frame_bytes:
                break
            yield np.frombuffer(data, np.uint8).reshape(self.h, self.w, 3)
        self.proc.stdout.close()
        self.proc.wait()


# ---------------------------------------------------------------- histograms

def rgb_histograms(rgb):
    """[3, 256] normalized per-channel histograms."""
    flat = rgb.reshape(-1, 3)
    return np.stack([np.bincount(flat[:, c], minlength=256) for c in range(3)]) / flat.shape[0]


def js_divergence(p, q):
    """Jensen-Shannon divergence (natural log) per row of [k, bins] histograms."""
    m = (p + q) / 2

    def kl(x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(x > 0, x * np.log(x / y), 0.0)
        return t.sum(axis=-1)

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


# ---------------------------------------------------------------- shots

def read_shot_csv(path):
    """0-based half-open (start, end) per shot from a PySceneDetect list-scenes CSV:
    Start Frame is 1-based, End Frame is the 1-based last frame."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = next(i for i, r in enumerate(rows) if r and r[0] == "Scene Number")
    cols = rows[header]
    s, e = cols.index("Start Frame"), cols.index("End Frame")
    return [(int(r[s]) - 1, int(r[e])) for r in rows[header + 1:] if r]


class ShotIndex:
    """Which shot a frame is in: the last shot starting at or before it."""

    def __init__(self, shots):
        self.starts = sorted(start for start, _ in shots) if shots else [0]

    def same(self, i, j):
        return bisect.bisect_right(self.starts, i) == bisect.bisect_right(self.starts, j)


# ---------------------------------------------------------------- main

def measure(args):
    size = None
    if args.width:
        w, h = probe(args.input)
        size = (args.width, max(2, round(h * args.width / w / 2) * 2))
    video = Frames(args.input, size)
    gt = Frames(args.gt, (video.w, video.h)) if args.gt else None
    gt_iter = iter(gt) if gt else None
    shots = read_shot_csv(args.shots) if args.shots else None
    index = ShotIndex(shots)

    recent = []           # (index, histograms) of the last max(GAPS) frames
    js_sums = {t: [0.0, 0] for t in GAPS}
    dab_sum, dab_pairs = 0.0, 0
    de_sum, de_frames = 0.0, 0
    prev_lab = None
    n = 0
    for rgb in video:
        if args.max_frames and n >= args.max_frames:
            break
        hist = rgb_histograms(rgb)
        for i, h in recent:
            t = n - i
            if t in GAPS and index.same(i, n):
                js_sums[t][0] += float(js_divergence(h, hist).mean())
                js_sums[t][1] += 1
        recent = [(i, h) for i, h in recent if n - i < max(GAPS)] + [(n, hist)]

        lab = srgb_to_lab(rgb)
        if prev_lab is not None and index.same(n - 1, n):
            dab_sum += float(np.mean(np.abs(lab[..., 1] - prev_lab[..., 1])
                                     + np.abs(lab[..., 2] - prev_lab[..., 2])))
            dab_pairs += 1
        prev_lab = lab

        if gt_iter is not None:
            truth = next(gt_iter, None)
            if truth is None:
                print(f"warning: ground truth ends after {n} frames", file=sys.stderr)
                gt_iter = None
            else:
                de_sum += float(ciede2000(lab, srgb_to_lab(truth)).mean())
                de_frames += 1
        n += 1

    cdc_gaps = {t: (s / c if c else None) for t, (s, c) in js_sums.items()}
    valid = [v for v in cdc_gaps.values() if v is not None]
    return {
        "input": args.input,
        "frames": n,
        "width": video.w,
        "height": video.h,
        "shots": len(shots) if shots else None,
        "cdc": float(np.mean(valid)) if valid else None,
        "cdc_gaps": {str(t): v for t, v in cdc_gaps.items()},
        "chroma_change": dab_sum / dab_pairs if dab_pairs else None,
        "ciede2000": de_sum / de_frames if de_frames else None,
        "gt_frames": de_frames if args.gt else None,
    }


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def selftest():
    """CIEDE2000 against pairs from Sharma, Wu & Dalal (2005), and JS basics."""
    pairs = [((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
             ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
             ((50.0, 2.8361, -74.0200), (50.0, 0.0, -82.7485), 3.4412),
             ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
             ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
             ((50.0, 2.5, 0.0), (61.0, -5.0, 29.0), 22.8977),
             ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
             ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082)]
    got = ciede2000(np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]))
    want = np.array([p[2] for p in pairs])
    assert np.allclose(got, want, atol=1e-4), (got, want)
    assert np.allclose(ciede2000(np.array([p[1] for p in pairs]), np.array([p[0] for p in pairs])), want, atol=1e-4)
    white = srgb_to_lab(np.array([[255, 255, 255]], np.uint8))[0]
    assert np.allclose(white, [100, 0, 0], atol=0.01), white
    p = np.array([[1.0, 0.0]])
    assert abs(js_divergence(p, p)[0]) < 1e-12
    assert abs(js_divergence(p, np.array([[0.0, 1.0]]))[0] - np.log(2)) < 1e-12
    print("selftest ok")


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.video_metrics",
                                 description="Temporal-consistency metrics of a colorized video.")
    ap.add_argument("input", nargs="?", help="colorized video")
    ap.add_argument("--gt", help="ground-truth color video of the same frames (for CIEDE2000)")
    ap.add_argument("--shots", help="PySceneDetect list-scenes CSV; pairs across cuts are skipped")
    ap.add_argument("--width", type=int, help="measure at this width (both videos scaled alike)")
    ap.add_argument("--max-frames", type=int, help="stop after this many frames")
    ap.add_argument("--selftest", action="store_true", help="check the color math and exit")
    args = ap.parse_args()
    if args.selftest:
        selftest()
        return
    if not args.input:
        ap.error("INPUT_COLORIZED is required")
    r = measure(args)
    gaps = ", ".join(f"{t}: {fmt(r['cdc_gaps'][str(t)], '.5f')}" for t in GAPS)
    rows = [("frames", f"{r['frames']} ({r['width']}x{r['height']})"),
            ("shots", fmt(r["shots"], "d")),
            ("CDC (JS of RGB histograms)", f"{fmt(r['cdc'], '.5f')}  (gap {gaps})"),
            ("chroma change |da|+|db|", fmt(r["chroma_change"], ".4f")),
            ("CIEDE2000 vs ground truth", fmt(r["ciede2000"], ".4f"))]
    for name, value in rows:
        print(f"{name:28s} {value}")
    print("METRICS " + json.dumps(r))


if __name__ == "__main__":
    main()
