"""Temporal-consistency and accuracy metrics for a colorized video.

    python3 -m kinecolor_training.video_metrics INPUT_COLORIZED [--gt GROUND_TRUTH_COLOR]
        [--shots shots.csv] [--width W] [--flow-width W] [--flow-luma GRAY_INPUT]
        [--max-frames N] [--selftest]

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
  video of the same frames, e.g. the color twin of a gray sample (--gt);
  with --shots also per shot (ciede2000_shots: the mean over each shot's
  frames, shots in the order of their starts).
* Colorfulness (Hasler and Suesstrunk 2003, on 0-255 sRGB, mean over frames;
  also of --gt). Read it beside the temporal metrics: a grayer output is
  trivially steadier.
* Chroma warping error (Lai et al., ECCV 2018, on chroma only, since every
  output keeps the input's luma): for consecutive frames t-1, t, dense optical
  flow from t to t-1 is computed on the luma with OpenCV's DIS (preset medium)
  at --flow-width (default: the measured width), the chroma of t-1 is warped
  onto t along it (bilinear), and the squared difference
  (Cb_t - Cb'_t-1)^2 + (Cr_t - Cr'_t-1)^2 is averaged over the pixels that are
  neither occluded nor warped from outside the picture; the metric is the mean
  over frame pairs. The mask is Ruder et al.'s (GCPR 2016), as in Lai et al.'s
  code: the forward-backward check of Sundaram et al. (2010),
  |w_b + w_f(p + w_b)|^2 < 0.01 (|w_b|^2 + |w_f(p + w_b)|^2) + 0.5, and no
  motion boundary, |grad u|^2 + |grad v|^2 <= 0.01 |w_b|^2 + 0.002 (forward
  differences), both in pixels of the flow's resolution. Cb, Cr in [0, 1] are
  full-range BT.601 of the decoded sRGB frames: Cb = 0.5 + (B - Y) / 1.772,
  Cr = 0.5 + (R - Y) / 1.402, Y = 0.299 R + 0.587 G + 0.114 B (ffmpeg decodes
  with the video's matrix, BT.601 when untagged). The flow's luma is that Y,
  or the luma of --flow-luma (e.g. the gray input, whose luma every output
  keeps), so that all outputs of one input are measured along the same flow.
  Needs the `cv2` module (opencv-python-headless); without it the metric is
  reported as unavailable (null).

With --shots (a PySceneDetect list-scenes CSV, as `kinecolor` writes it), frame
pairs that straddle a cut are skipped for CDC, chroma change and warping error.
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

try:  # optional: only the chroma warping error needs it
    import cv2
except ImportError:
    cv2 = None

GAPS = (1, 2, 4)
WARP_UNAVAILABLE = ("chroma warping error unavailable: needs OpenCV's cv2 module "
                    "(pip install opencv-python-headless, or the Training[video] extra)")


# ---------------------------------------------------------------- decoding

def probe(path):
    out = subprocess.check_output(
        ["ffprobe", "-v", "error", "-select_streams", "v:0",
         "-show_entries", "stream=width,height", "-of", "csv=p=0", path])
    w, h = out.decode().strip().split(",")[:2]
    return int(w), int(h)


class Frames:
    """rgb24 (or gray: luma only) frames of a video, one at a time, optionally scaled to width x height."""

    def __init__(self, path, size=None, gray=False):
        self.w, self.h = size or probe(path)
        self.channels = 1 if gray else 3
        args = ["ffmpeg", "-v", "error", "-i", path]
        if size:
            args += ["-vf", f"scale={self.w}:{self.h}:flags=area"]
        # Passthrough: every decoded frame once, as kinecolor and its cut lists count them. ffmpeg's default for
        # raw output is constant frame rate, which repeats a frame to fill a gap in the timestamps (the Megamind
        # sample has one after its first frame) and so moves every later frame off its shot by one.
        args += ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray" if gray else "rgb24", "-"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE)
        self.frame_bytes = self.w * self.h * self.channels

    def __iter__(self):
        shape = (self.h, self.w) if self.channels == 1 else (self.h, self.w, 3)
        finished = False
        try:
            while True:
                data = self.proc.stdout.read(self.frame_bytes)
                if len(data) < self.frame_bytes:
                    finished = True
                    break
                yield np.frombuffer(data, np.uint8).reshape(shape)
        finally:
            if not finished:  # the reader stopped early (--max-frames): no "Broken pipe" from ffmpeg
                self.proc.kill()
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


# ---------------------------------------------------------------- color and warping

def ycbcr601(rgb):
    """Full-range BT.601 of uint8 sRGB [H, W, 3]: (Y as uint8 0-255, float32 [H, W, 2] Cb, Cr in [0, 1])."""
    x = rgb.astype(np.float32) / 255
    y = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
    chroma = np.stack([0.5 + (x[..., 2] - y) / 1.772, 0.5 + (x[..., 0] - y) / 1.402], axis=-1)
    return np.clip(np.rint(y * 255), 0, 255).astype(np.uint8), chroma


def colorfulness(rgb):
    """Hasler and Suesstrunk (2003) colorfulness of uint8 sRGB [H, W, 3], on the 0-255 scale."""
    x = rgb.astype(np.float64)
    rg = x[..., 0] - x[..., 1]
    yb = 0.5 * (x[..., 0] + x[..., 1]) - x[..., 2]
    return float(np.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2))


def mean_ciede2000(rgb, rgb_ref):
    """Mean over the pixels of the CIEDE2000 between two uint8 sRGB frames [H, W, 3] of one size (color.py's
    sRGB -> CIELAB and CIEDE2000, as measure()'s --gt comparison)."""
    return float(ciede2000(srgb_to_lab(rgb), srgb_to_lab(rgb_ref)).mean())


class ChromaWarpError:
    """Lai et al.'s warping error on chroma, accumulated over frame pairs (see the module's docstring).

    `add(luma_prev, luma, chroma_prev, chroma)` takes uint8 luma [H, W] and float32 chroma [H, W, 2] of
    frames t-1 and t at width x height; `value` is the mean over the pairs that had an unoccluded pixel.
    `occlusion_check=False` keeps occluded pixels (for tests)."""

    def __init__(self, width, height, flow_width=None, occlusion_check=True):
        if cv2 is None:
            raise RuntimeError(WARP_UNAVAILABLE)
        self.w, self.h = width, height
        self.fw = flow_width or width
        self.fh = height if self.fw == width else max(8, round(height * self.fw / width))
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        self.occlusion_check = occlusion_check
        self.grid = np.stack(np.meshgrid(np.arange(width, dtype=np.float32),
                                         np.arange(height, dtype=np.float32)), axis=-1)
        self.flow_grid = np.stack(np.meshgrid(np.arange(self.fw, dtype=np.float32),
                                              np.arange(self.fh, dtype=np.float32)), axis=-1)
        self.total, self.pairs, self.valid_total = 0.0, 0, 0.0

    @staticmethod
    def _inside(pos, w, h):
        return (pos[..., 0] >= 0) & (pos[..., 0] <= w - 1) & (pos[..., 1] >= 0) & (pos[..., 1] <= h - 1)

    def mask_and_flow(self, luma_prev, luma):
        """The flow from t to t-1 at width x height ([H, W, 2], pixels) and the mask of pixels of t whose
        correspondence in t-1 is inside the picture and, with the check on, not occluded."""
        a, b = luma, luma_prev
        if (self.fw, self.fh) != (self.w, self.h):
            a = cv2.resize(a, (self.fw, self.fh), interpolation=cv2.INTER_AREA)
            b = cv2.resize(b, (self.fw, self.fh), interpolation=cv2.INTER_AREA)
        back = self.dis.calc(a, b, None)        # t -> t-1: a(p) ~ b(p + back(p))
        mask = None
        if self.occlusion_check:
            fwd = self.dis.calc(b, a, None)     # t-1 -> t
            pos = self.flow_grid + back
            fwd_at = cv2.remap(fwd, pos[..., 0], pos[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            mag = lambda v: v[..., 0] * v[..., 0] + v[..., 1] * v[..., 1]  # noqa: E731
            consistent = mag(back + fwd_at) < 0.01 * (mag(back) + mag(fwd_at)) + 0.5
            # Motion boundaries (forward differences, 0 on the last column / row), where the flow is smeared.
            du, dv = np.zeros_like(back), np.zeros_like(back)
            du[:, :-1] = back[:, :-1] - back[:, 1:]
            dv[:-1] = back[:-1] - back[1:]
            mask = consistent & (mag(du) + mag(dv) <= 0.01 * mag(back) + 0.002)
        if (self.fw, self.fh) != (self.w, self.h):
            back = cv2.resize(back, (self.w, self.h), interpolation=cv2.INTER_LINEAR)
            back *= np.array([self.w / self.fw, self.h / self.fh], np.float32)
            if mask is not None:
                mask = cv2.resize(mask.astype(np.uint8), (self.w, self.h), interpolation=cv2.INTER_NEAREST) > 0
        inside = self._inside(self.grid + back, self.w, self.h)
        return back, inside if mask is None else inside & mask

    def pair(self, luma_prev, luma, chroma_prev, chroma):
        """(error, fraction of pixels kept) of one pair, without accumulating; error None when none is kept."""
        back, mask = self.mask_and_flow(luma_prev, luma)
        pos = self.grid + back
        warped = cv2.remap(np.ascontiguousarray(chroma_prev, dtype=np.float32), pos[..., 0], pos[..., 1],
                           cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        diff = chroma.astype(np.float32) - warped
        d = diff[..., 0] * diff[..., 0] + diff[..., 1] * diff[..., 1]
        n = int(mask.sum())
        return (float(d[mask].sum(dtype=np.float64) / n) if n else None), n / mask.size

    def add(self, luma_prev, luma, chroma_prev, chroma):
        err, kept = self.pair(luma_prev, luma, chroma_prev, chroma)
        if err is not None:
            self.total += err
            self.pairs += 1
            self.valid_total += kept
        return err

    @property
    def value(self):
        return self.total / self.pairs if self.pairs else None

    @property
    def valid_fraction(self):
        return self.valid_total / self.pairs if self.pairs else None


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

    def shot(self, i):
        """The 0-based index of frame i's shot, in the order of the shots' starts (0 before the first start)."""
        return max(0, bisect.bisect_right(self.starts, i) - 1)


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
    flow_width = getattr(args, "flow_width", None)
    flow_luma = getattr(args, "flow_luma", None)
    warp = ChromaWarpError(video.w, video.h, flow_width) if cv2 is not None else None
    luma_iter = iter(Frames(flow_luma, (video.w, video.h), gray=True)) if warp and flow_luma else None
    prev_ycc, warp_done = None, False
    cf_sum, cf_gt_sum = 0.0, 0.0

    recent = []           # (index, histograms) of the last max(GAPS) frames
    js_sums = {t: [0.0, 0] for t in GAPS}
    dab_sum, dab_pairs = 0.0, 0
    de_sum, de_frames = 0.0, 0
    de_shots = [[0.0, 0] for _ in index.starts]  # per shot: CIEDE2000 sum, frames
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
        cf_sum += colorfulness(rgb)

        if warp is not None and not warp_done:
            luma, chroma = ycbcr601(rgb)
            if luma_iter is not None:
                luma = next(luma_iter, None)
                if luma is None:
                    print(f"warning: --flow-luma ends after {n} frames; no warping error after it", file=sys.stderr)
                    warp_done = True
            if not warp_done:
                if prev_ycc is not None and index.same(n - 1, n):
                    warp.add(prev_ycc[0], luma, prev_ycc[1], chroma)
                prev_ycc = (luma, chroma)

        if gt_iter is not None:
            truth = next(gt_iter, None)
            if truth is None:
                print(f"warning: ground truth ends after {n} frames", file=sys.stderr)
                gt_iter = None
            else:
                de = float(ciede2000(lab, srgb_to_lab(truth)).mean())
                de_sum += de
                de_shots[index.shot(n)][0] += de
                de_shots[index.shot(n)][1] += 1
                cf_gt_sum += colorfulness(truth)
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
        "ciede2000_shots": [s / c if c else None for s, c in de_shots] if shots and args.gt else None,
        "gt_frames": de_frames if args.gt else None,
        "colorfulness": cf_sum / n if n else None,
        "colorfulness_gt": cf_gt_sum / de_frames if de_frames else None,
        "chroma_warp_error": warp.value if warp else None,
        "chroma_warp_pairs": warp.pairs if warp else None,
        "chroma_warp_kept": warp.valid_fraction if warp else None,
        "flow_width": warp.fw if warp else None,
        "chroma_warp_note": None if cv2 is not None else WARP_UNAVAILABLE,
    }


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def warp_text(r):
    if r["chroma_warp_note"]:
        return "n/a (needs cv2: pip install opencv-python-headless)"
    if r["chroma_warp_error"] is None:
        return "n/a (no frame pair inside a shot)"
    return (f"{r['chroma_warp_error']:.3e}  ({r['chroma_warp_pairs']} pairs, "
            f"{100 * r['chroma_warp_kept']:.1f}% of pixels unoccluded; flow at width {r['flow_width']})")


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
    ap.add_argument("--flow-width", type=int, help="compute the warping error's optical flow at this width "
                    "(default: the measured width)")
    ap.add_argument("--flow-luma", metavar="VIDEO", help="compute the flow on this video's luma instead of the "
                    "input's own (e.g. the gray input; same frames)")
    ap.add_argument("--max-frames", type=int, help="stop after this many frames")
    ap.add_argument("--selftest", action="store_true", help="check the color math and exit")
    args = ap.parse_args()
    if args.selftest:
        selftest()
        return
    if not args.input:
        ap.error("INPUT_COLORIZED is required")
    if args.flow_width is not None and args.flow_width < 8:
        ap.error(f"--flow-width {args.flow_width}: must be at least 8")
    if cv2 is None:
        print("note: " + WARP_UNAVAILABLE, file=sys.stderr)
    r = measure(args)
    gaps = ", ".join(f"{t}: {fmt(r['cdc_gaps'][str(t)], '.5f')}" for t in GAPS)
    rows = [("frames", f"{r['frames']} ({r['width']}x{r['height']})"),
            ("shots", fmt(r["shots"], "d")),
            ("CDC (JS of RGB histograms)", f"{fmt(r['cdc'], '.5f')}  (gap {gaps})"),
            ("chroma change |da|+|db|", fmt(r["chroma_change"], ".4f")),
            ("CIEDE2000 vs ground truth", fmt(r["ciede2000"], ".4f")),
            ("colorfulness (Hasler-S.)", fmt(r["colorfulness"], ".2f")
             + (f"  (ground truth {r['colorfulness_gt']:.2f})" if r["colorfulness_gt"] is not None else "")),
            ("chroma warping error", warp_text(r))]
    for name, value in rows:
        print(f"{name:28s} {value}")
    print("METRICS " + json.dumps(r))


if __name__ == "__main__":
    main()
