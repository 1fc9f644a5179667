"""Build shot-detection evaluation clips with known hard cuts.

Every clip is assembled in numpy from the gray samples (decoded with the ffmpeg
binary), encoded once with libx264 (so the detector sees real compression
artifacts), then decoded back to raw 8-bit luma:

    OUT/NAME.mp4    the encoded clip (to look at)
    OUT/NAME.gray   raw luma, frames back to back (ffmpeg -f rawvideo -pix_fmt gray)
    OUT/NAME.json   {"name", "video", "width", "height", "frames", "fps", "cuts": [...], "notes"}

`cuts` are 0-based indices of the first frame of every shot but the first.
Gradual transitions (fades, dissolves) are NOT cuts: a detector that fires on
them scores a false positive.

Ground-truth cuts inside the source clips were found by frame differencing and
verified by eye on dumped frames (see README.md):
    megamind_animated_ac3_gray.avi: 99, 155, 201 (frame 0 is a lone black
    leader frame; the first picture starts at 1)
    bbb_animated_5.1audio_gray.mp4: none (one shot, camera move)
    carphone_face_gray.mp4:         none (one hand-held shot)

The `random<SEED>_*` clips are random joins (see random_clip). Seed 2025 (the
default) was used while tuning; other seeds give clips the detector has never
been tuned on (README.md reports seed 4242).

Usage: python3 -m kinecolor_training.shots_eval.build_clips [--samples DIR] [--out DIR] [--random N] [--seed S] [--only-random]
(--samples defaults to ../shared/samples next to the repository, or $KINECOLOR_SHARED/samples)
"""
import argparse
import json
import os
import subprocess

import numpy as np

from .. import paths

W, H = 480, 270          # common size of the composite clips
FPS = 24
SOURCE_CUTS = {"megamind": [99, 155, 201], "bbb": [], "carphone": []}
FILES = {
    "megamind": "megamind_animated_ac3_gray.avi",
    "bbb": "bbb_animated_5.1audio_gray.mp4",
    "carphone": "carphone_face_gray.mp4",
}


def probe_size(path):
    out = subprocess.check_output(
        ["ffprobe", "-v", "error", "-select_streams", "v:0",
         "-show_entries", "stream=width,height", "-of", "csv=p=0", path])
    w, h = out.decode().strip().split(",")[:2]
    return int(w), int(h)


def decode_gray(path, size=None):
    """All frames of `path` as uint8 [n, h, w]; scaled to `size` when given."""
    args = ["ffmpeg", "-v", "error", "-i", path]
    if size:
        args += ["-vf", f"scale={size[0]}:{size[1]}:flags=area,setsar=1"]
        w, h = size
    else:
        w, h = probe_size(path)
    args += ["-f", "rawvideo", "-pix_fmt", "gray", "-"]
    raw = subprocess.check_output(args)
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w)


class Clip:
    """Frames appended in order, with the ground-truth cut list kept alongside."""

    def __init__(self, name, notes=""):
        self.name, self.notes = name, notes
        self.frames, self.cuts = [], []

    def __len__(self):
        return len(self.frames)

    def add(self, frames, cut=True, src_cuts=()):
        """Append float frames; `cut` marks a hard cut before the first one.
        `src_cuts` are cut positions relative to `frames` (cuts already inside)."""
        if cut and len(self.frames) > 0:
            self.cuts.append(len(self.frames))
        for c in src_cuts:
            self.cuts.append(len(self.frames) + c)
        self.frames.extend(np.asarray(f, np.float32) for f in frames)

    def segment(self, src, name, a, b, cut=True):
        """Frames a..<b of source `name`, with the source's own cuts inside."""
        inner = [c - a for c in SOURCE_CUTS[name] if a < c < b]
        self.add(src[name][a:b], cut=cut, src_cuts=inner)


def fade(frames, n, out=True):
    """Linear fade to (out) or from (in) black over the last/first n frames."""
    frames = [f.astype(np.float32) for f in frames]
    for k in range(n):
        g = (n - 1 - k) / n if out else (k + 1) / n
        i = len(frames) - n + k if out else k
        frames[i] = frames[i] * g
    return frames


def dissolve(a, b, n):
    """Cross-dissolve: the last n frames of a blend into the first n of b."""
    a = [f.astype(np.float32) for f in a]
    b = [f.astype(np.float32) for f in b]
    mid = []
    for k in range(n):
        t = (k + 1) / (n + 1)
        mid.append(a[len(a) - n + k] * (1 - t) + b[k] * t)
    return a[:-n] + mid + b[n:]


def pan(image, n, step, zoom=0.0, out_size=(W, H)):
    """Synthetic camera move over a still: crop window slides `step` px/frame
    (and optionally zooms), resized to out_size with area averaging."""
    ih, iw = image.shape
    ow, oh = out_size
    frames = []
    for k in range(n):
        s = 1.0 - zoom * k / max(1, n - 1)
        cw, ch = int(iw * 0.6 * s), int(ih * 0.6 * s)
        x = int(min(iw - cw, k * step))
        y = (ih - ch) // 2
        crop = image[y:y + ch, x:x + cw].astype(np.float32)
        # nearest-ish resample with numpy (good enough for a synthetic pan)
        yi = (np.arange(oh) * ch / oh).astype(int)
        xi = (np.arange(ow) * cw / ow).astype(int)
        frames.append(crop[yi][:, xi])
    return frames


def degrade(frames, rng, gain=0.15, grain=18.0):
    """Film-like damage: per-frame global gain in [1-gain, 1+gain] (flicker)
    and fresh Gaussian grain every frame (std in 8-bit levels)."""
    out = []
    for f in frames:
        g = 1.0 + rng.uniform(-gain, gain)
        out.append(f * g + rng.normal(0.0, grain, f.shape))
    return out


def damage(clip, rng, count=3):
    """Single damaged frames, as in worn prints: one overexposed flash frame,
    one nearly black frame, one frame with a big blotch. Never next to a cut."""
    frames = list(clip.frames)
    n = len(frames)
    ok = [i for i in range(2, n - 2) if all(abs(i - c) > 3 for c in clip.cuts)]
    picks = rng.choice(ok, size=count, replace=False)
    for k, i in enumerate(sorted(picks)):
        f = frames[i].copy()
        if k % 3 == 0:
            f = f * 2.2 + 60.0
        elif k % 3 == 1:
            f = f * 0.15
        else:
            h, w = f.shape
            f[h // 4:3 * h // 4, w // 3:w // 2] = 235.0
        frames[i] = f
    clip.frames = frames
    clip.notes += f"; damaged single frames at {sorted(int(p) for p in picks)}"


def write(clip, out_dir, fps=FPS, crf=20):
    arr = np.clip(np.rint(np.stack(clip.frames)), 0, 255).astype(np.uint8)
    n, h, w = arr.shape
    mp4 = os.path.join(out_dir, clip.name + ".mp4")
    enc = subprocess.Popen(
        ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray",
         "-s", f"{w}x{h}", "-r", str(fps), "-i", "-", "-c:v", "libx264",
         "-crf", str(crf), "-preset", "fast", "-pix_fmt", "yuv420p", mp4],
        stdin=subprocess.PIPE)
    enc.communicate(arr.tobytes())
    assert enc.returncode == 0
    save_decoded(clip.name, mp4, sorted(clip.cuts), fps, clip.notes, out_dir)


def save_decoded(name, video, cuts, fps, notes, out_dir):
    w, h = probe_size(video)
    raw = subprocess.check_output(
        ["ffmpeg", "-v", "error", "-i", video, "-f", "rawvideo", "-pix_fmt", "gray", "-"])
    n = len(raw) // (w * h)
    with open(os.path.join(out_dir, name + ".gray"), "wb") as f:
        f.write(raw)
    meta = {"name": name, "video": os.path.abspath(video), "width": w, "height": h, "frames": n, "fps": fps,
            "cuts": cuts, "notes": notes}
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(meta, f)
    print(f"{name:24s} {w}x{h} {n:4d} frames, {len(cuts)} cuts: {cuts}")


# Shots of the sources (half-open frame ranges), for the random held-out clips.
SOURCE_SHOTS = {"megamind": [(1, 99), (99, 155), (155, 201), (201, 271)],
                "bbb": [(0, 132)], "carphone": [(0, 120)]}


def random_clip(name, samples, rng, segments=14):
    """A held-out clip: random pieces of random source shots joined by hard cuts
    (70%), cross-dissolves (15%) or fades through black (15%), at a random size,
    with random flicker, grain and damaged frames. Two pieces of the same shot are
    at least 30 frames apart, so every hard cut is a visible jump."""
    size = [(480, 270), (384, 216), (640, 360)][rng.integers(3)]
    src = {k: decode_gray(os.path.join(samples, v), size) for k, v in FILES.items()}
    black = np.zeros((size[1], size[0]), np.float32)
    clip = Clip(name, f"random pieces at {size[0]}x{size[1]}")
    last = None   # (source, shot index, end frame) of the previous piece
    pieces = 0
    while pieces < segments:
        source = list(FILES)[rng.integers(3)]
        k = rng.integers(len(SOURCE_SHOTS[source]))
        a, b = SOURCE_SHOTS[source][k]
        length = int(min(b - a, rng.integers(12, 51)))
        start = int(rng.integers(a, b - length + 1))
        if last and last[:2] == (source, k) and abs(start - last[2]) < 30:
            continue
        frames = [f.astype(np.float32) for f in src[source][start:start + length]]
        kind = rng.choice(["cut", "dissolve", "fade"], p=[0.7, 0.15, 0.15]) if pieces else "cut"
        if kind == "dissolve":
            n = int(min(rng.integers(8, 25), len(frames) - 2, 12))
            tail = clip.frames[-n:]
            for i in range(n):
                t = (i + 1) / (n + 1)
                tail[i] = tail[i] * (1 - t) + frames[i] * t
            clip.frames[-n:] = tail
            clip.add(frames[n:], cut=False)
        elif kind == "fade":
            n_out = int(min(rng.integers(6, 21), 10))
            clip.frames[-n_out:] = fade(clip.frames[-n_out:], n_out, out=True)
            hold = int(rng.integers(0, 13))
            clip.add([black] * hold, cut=False)
            if rng.random() < 0.3 and hold >= 1:
                clip.add(frames, cut=True)        # hard cut in from black
            else:
                n_in = int(min(rng.integers(6, 21), len(frames) - 2))
                clip.add(fade(frames, n_in, out=False), cut=False)
        else:
            clip.add(frames, cut=True)
        last = (source, k, start + length)
        pieces += 1
    gain, grain = rng.uniform(0, 0.15), rng.uniform(0, 20)
    clip.frames = degrade(clip.frames, rng, gain=gain, grain=grain)
    clip.notes += f"; flicker +-{gain:.0%}, grain sigma {grain:.1f}"
    damage(clip, rng, count=int(rng.integers(0, 4)))
    return clip


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.shots_eval.build_clips",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--samples", help="the gray samples (default: ../shared/samples next to the repository)")
    ap.add_argument("--out", default="/tmp/kinecolor_shots_eval")
    ap.add_argument("--random", type=int, default=6, help="how many random clips to make")
    ap.add_argument("--seed", type=int, default=2025, help="seed of the random clips")
    ap.add_argument("--only-random", action="store_true", help="skip the hand-built clips")
    args = ap.parse_args()
    args.samples = args.samples or paths.shared_dir("samples")
    os.makedirs(args.out, exist_ok=True)
    if args.only_random:
        make_random(args)
        return
    rng = np.random.default_rng(1234)

    # The source clips untouched, at their native size and rate.
    for name, fps in (("megamind", 24000 / 1001), ("bbb", 25), ("carphone", 30000 / 1001)):
        save_decoded("native_" + name, os.path.join(args.samples, FILES[name]),
                     SOURCE_CUTS[name], fps, "source clip as is", args.out)

    src = {k: decode_gray(os.path.join(args.samples, v), (W, H)) for k, v in FILES.items()}

    # Hard cuts, several between similar-looking shots (jump cuts inside bbb and
    # carphone, and two shots of the same character in the same dark room).
    cuts = Clip("concat_cuts", "hard cuts incl. jump cuts and similar shots")
    cuts.segment(src, "bbb", 0, 48)
    cuts.segment(src, "bbb", 64, 132)          # jump cut: same scene, later pose
    cuts.segment(src, "megamind", 1, 120)      # contains the source cut at 99
    cuts.segment(src, "carphone", 0, 45)
    cuts.segment(src, "carphone", 75, 120)     # jump cut: same person, same car
    cuts.segment(src, "megamind", 30, 98)      # woman, dark restaurant
    cuts.segment(src, "megamind", 160, 200)    # same woman, other angle
    cuts.segment(src, "megamind", 140, 271)    # source cuts 155 and 201 inside
    cuts.segment(src, "bbb", 20, 60)
    write(cuts, args.out)

    # Gradual transitions that must NOT be cut, mixed with real cuts.
    black = np.zeros((H, W), np.float32)
    fades = Clip("fades_dissolves", "fade out/in through black, cross-dissolves, cut from black")
    fades.add(fade(src["bbb"][0:50], 15, out=True))
    fades.add([black] * 8, cut=False)                                 # fade-out ends in black
    fades.add(fade(src["megamind"][1:60], 15, out=False), cut=False)  # fade-in from black
    fades.segment(src, "carphone", 0, 60)                             # hard cut
    mixed = dissolve(src["carphone"][60:120], src["bbb"][60:132], 20)
    fades.add(mixed, cut=False)                                       # carphone goes on, dissolves into bbb
    fades.add(fade(src["megamind"][100:154], 12, out=True))           # hard cut, then fade out
    fades.add([black] * 10, cut=False)
    fades.segment(src, "megamind", 201, 271)                          # hard cut from black
    slow = dissolve(src["megamind"][160:200], src["bbb"][0:60], 30)   # slow dissolve, similar tones
    fades.add(slow)                                                   # hard cut into it
    write(fades, args.out)

    # The same two clips with strong flicker (+-15% gain per frame) and grain.
    for base in (cuts, fades):
        d = Clip(base.name + "_degraded", base.notes + "; flicker +-15% and grain sigma 18")
        d.frames = degrade(base.frames, rng)
        d.cuts = list(base.cuts)
        damage(d, rng)
        write(d, args.out)

    # Camera motion: slow and fast pans and a zoom over stills, with two cuts.
    still_a = src["megamind"][120].astype(np.float32)
    still_b = src["bbb"][100].astype(np.float32)
    big_a = np.kron(still_a, np.ones((2, 2), np.float32))
    big_b = np.kron(still_b, np.ones((2, 2), np.float32))
    motion = Clip("motion", "synthetic pans (4 and 12 px/frame at 480 wide) and a zoom")
    motion.add(pan(big_a, 60, 6))
    motion.add(pan(big_b, 50, 14, zoom=0.3))
    motion.add(pan(big_a[:, ::-1], 40, 18))
    write(motion, args.out)
    motion_d = Clip("motion_degraded", motion.notes + "; flicker and grain")
    motion_d.frames = degrade(motion.frames, rng)
    motion_d.cuts = list(motion.cuts)
    write(motion_d, args.out)

    make_random(args)


def make_random(args):
    rng = np.random.default_rng(args.seed)
    for k in range(args.random):
        write(random_clip(f"random{args.seed}_{k}", args.samples, rng), args.out)


if __name__ == "__main__":
    main()
