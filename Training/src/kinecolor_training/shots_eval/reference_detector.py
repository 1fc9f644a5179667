"""Numpy mirror of KinecolorShots.ShotDetector, for parameter sweeps.

The Swift detector (Sources/Shots/ShotDetector.swift) is the product; this file
repeats its arithmetic in a few lines of numpy so that parameters can be tried
on every clip in seconds. Keep the two in step; `--compare` checks that the
cuts found here equal NAME.detected.json written by the Swift evaluation test.

Usage:
  python3 -m kinecolor_training.shots_eval.reference_detector [--dir=/tmp/kinecolor_shots_eval] [--compare] [key=value ...]
  keys: eps threshold min_score window min_shot cross ratio_floor
"""
import glob
import json
import os
import sys

import numpy as np

PARAMS = dict(wc=0.25, eps=0.1, threshold=3.0, min_score=0.04, window=2, min_shot=8,
              cross=0.5, ratio_floor=0.005)


def thumbnail(frame, max_value=255.0):
    """Box-downsample by max(1, width // 64), drop edge remainders, normalize."""
    h, w = frame.shape
    k = max(1, w // 64)
    ky = min(k, h)
    rows, cols = h // ky, w // k
    t = frame[:rows * ky, :cols * k].astype(np.float64)
    t = t.reshape(rows, ky, cols, k).sum(axis=(1, 3)) / (k * ky * max_value)
    z = (t - t.mean()) / np.sqrt(t.var() + PARAMS["eps"] ** 2)
    return z.astype(np.float32)


def distance(a, b):
    """w_c * (fa - fb)^2 / 2 + fa * fb * (1 - correlation), where f = rms of z
    (the contrast factor, 0 for flat frames): a contrast change and a structure
    change, the first one down-weighted so fades through black stay small."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    fa = np.sqrt((a * a).mean())
    fb = np.sqrt((b * b).mean())
    return float(PARAMS["wc"] * (fa - fb) ** 2 / 2 + fa * fb - (a * b).mean())


def detect(frames):
    """Cut positions (start frames of every shot but the first)."""
    p = PARAMS
    win, min_shot = int(p["window"]), int(p["min_shot"])
    thumbs = [thumbnail(f) for f in frames]
    n = len(thumbs)
    score = [0.0] + [distance(thumbs[i], thumbs[i - 1]) for i in range(1, n)]
    cuts = []
    for i in range(1, n):
        last = cuts[-1] if cuts else 0
        if i - last < min_shot or n - i < min_shot or score[i] < p["min_score"]:
            continue
        neigh = [score[j] for j in range(max(1, i - win), min(n - 1, i + win) + 1) if j != i]
        if not neigh or score[i] / (np.mean(neigh) + p["ratio_floor"]) < p["threshold"]:
            continue
        pairs = [(a, b) for a in (i - 2, i - 1) for b in (i, i + 1)
                 if a >= 0 and b < n and (a, b) != (i - 1, i)]
        if any(distance(thumbs[a], thumbs[b]) < p["cross"] * score[i] for a, b in pairs):
            continue
        cuts.append(i)
    return cuts


def match(truth, found, tol=1):
    left, tp = list(truth), 0
    for c in found:
        hit = next((t for t in left if abs(t - c) <= tol), None)
        if hit is not None:
            left.remove(hit)
            tp += 1
    return tp, len(found) - tp, len(left)


def main():
    args = sys.argv[1:]
    folder = "/tmp/kinecolor_shots_eval"
    compare = "--compare" in args
    for a in args:
        if a.startswith("--dir="):
            folder = a.split("=", 1)[1]
        elif "=" in a:
            k, v = a.split("=", 1)
            PARAMS[k] = float(v)
    total = np.zeros(3, int)
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        if path.endswith(".detected.json"):
            continue
        m = json.load(open(path))
        frames = np.memmap(path[:-5] + ".gray", np.uint8, "r",
                           shape=(m["frames"], m["height"], m["width"]))
        found = detect(frames)
        tp, fp, fn = match(m["cuts"], found)
        total += (tp, fp, fn)
        line = f"{m['name']:26s} tp={tp:3d} fp={fp:2d} fn={fn:2d}"
        if fp or fn:
            line += f"  truth={m['cuts']} found={found}"
        swift = path[:-5] + ".detected.json"
        if compare and os.path.exists(swift):
            same = json.load(open(swift))["cuts"] == found
            line += "  swift: " + ("same" if same else f"DIFFERENT {json.load(open(swift))['cuts']}")
        print(line)
    tp, fp, fn = total
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    print(f"overall P={p:.3f} R={r:.3f} F1={2 * p * r / max(1e-9, p + r):.3f} ({dict(PARAMS)})")


if __name__ == "__main__":
    main()
