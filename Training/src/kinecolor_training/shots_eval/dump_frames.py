"""Tile frames of a raw gray clip into one PNG, to check cuts by eye.

Usage: python3 -m kinecolor_training.shots_eval.dump_frames CLIP_BASENAME OUT.png FRAME [FRAME ...]
  CLIP_BASENAME: path without extension of a NAME.gray/NAME.json pair from build_clips
  FRAME: an index, or A-B for the inclusive range A..B
One row of tiles per FRAME argument, in the order given, scaled to half size.
"""
import json
import subprocess
import sys

import numpy as np


def main():
    base, out, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    meta = json.load(open(base + ".json"))
    w, h = meta["width"], meta["height"]
    clip = np.memmap(base + ".gray", np.uint8, "r", shape=(meta["frames"], h, w))
    rows = []
    for spec in specs:
        a, _, b = spec.partition("-")
        idx = range(int(a), int(b or a) + 1)
        rows.append([clip[i] for i in idx if 0 <= i < len(clip)])
    cols = max(len(r) for r in rows)
    sheet = np.zeros((h * len(rows), w * cols), np.uint8)
    for r, row in enumerate(rows):
        for c, f in enumerate(row):
            sheet[r * h:(r + 1) * h, c * w:(c + 1) * w] = f
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray",
                    "-s", f"{sheet.shape[1]}x{sheet.shape[0]}", "-i", "-",
                    "-vf", "scale=iw/2:-1", out], input=sheet.tobytes(), check=True)


if __name__ == "__main__":
    main()
