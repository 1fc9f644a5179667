"""What the report tests (keyframes_report, reference_report, setup_report) share: a stand-in for the kinecolor binary
built from a test's own script, and clips written with ffmpeg."""

import shutil
import stat
import subprocess
import sys

import numpy as np
import pytest

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                  reason="needs the ffmpeg and ffprobe binaries")

# The start of every stand-in: it logs its arguments to LOG, answers --version, and offers write_cut_list(rows) for
# its `shots` branch (the cut list's header, then the rows). A test's script goes on with `elif args[0] == ...:`.
FAKE_START = r'''#!PYTHON
import os, subprocess, sys
args = sys.argv[1:]
with open(LOG, "a") as f:
    f.write(" ".join(args) + "\n")


def write_cut_list(rows):
    with open(args[args.index("--csv") + 1], "w") as f:
        f.write("Timecode List:,\nScene Number,Start Frame,Start Timecode,Start Time (seconds),End Frame,"
                "End Timecode,End Time (seconds),Length (frames),Length (timecode),Length (seconds)\n" + rows)


if args[0] == "--version":
    print("fake 0.0")
'''


def fake_kinecolor(tmp_path, fake):
    """Writes tmp_path/kinecolor, FAKE_START and then the test's script `fake`, executable; (its path, its log)."""
    log = tmp_path / "calls.log"
    path = tmp_path / "kinecolor"
    path.write_text((FAKE_START + fake).replace("PYTHON", sys.executable).replace("LOG", repr(str(log))))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path), log


def write_clip(path, frames, rate="25"):
    """Writes RGB frames (uint8 arrays) losslessly as FFV1 at `rate` frames a second."""
    h, w = frames[0].shape[:2]
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", rate,
                    "-i", "-", "-c:v", "ffv1", "-pix_fmt", "gbrp", str(path)],
                   input=b"".join(f.tobytes() for f in frames), check=True)


def gray(frames):
    """The frames' gray twins: each pixel's channel mean in all three channels."""
    return [np.repeat(f.mean(-1, keepdims=True).astype(np.uint8), 3, -1) for f in frames]


def samples(tmp_path):
    """tmp_path/samples with one 6-frame 64x48 clip, clip.nut, and its gray twin; (folder, the color frames)."""
    folder = tmp_path / "samples"
    folder.mkdir()
    rng = np.random.default_rng(0)
    color = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(6)]
    write_clip(folder / "clip.nut", color)
    write_clip(folder / "clip_gray.nut", gray(color))
    return folder, color
