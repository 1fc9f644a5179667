"""video_metrics' chroma warping error and colorfulness, on synthetic lossless videos written with ffmpeg.

The clips are 160x120 FFV1 in RGB (gbrp), so the decoded frames are the frames written, bit for bit.
Each test that asserts a small error also checks that its clip would score high without the part of
the metric under test (no warping, no occlusion mask, no cut list), so a broken metric fails it."""

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from kinecolor_training import video_metrics
from kinecolor_training.video_metrics import ChromaWarpError, Frames, colorfulness, ycbcr601

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                  reason="needs the ffmpeg and ffprobe binaries")
# The module's own verdict (it treats any ImportError of cv2 as "no OpenCV").
needs_cv2 = pytest.mark.skipif(video_metrics.cv2 is None, reason="needs cv2 (pip install opencv-python-headless)")

H, W = 120, 160


def smooth_field(rng, h, w, sigma):
    """Gaussian-filtered white noise (via the FFT, periodic), zero mean, unit deviation."""
    x = rng.standard_normal((h, w))
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :]
    x = np.real(np.fft.ifft2(np.fft.fft2(x) * np.exp(-2 * (np.pi * sigma) ** 2 * (fy ** 2 + fx ** 2))))
    return (x - x.mean()) / x.std()


def rgb_from_ycbcr(y, cb, cr):
    """uint8 sRGB from luma 0-255 and full-range BT.601 Cb, Cr in [0, 1] (the inverse of ycbcr601)."""
    y = np.asarray(y, np.float64) / 255
    r = y + 1.402 * (cr - 0.5)
    b = y + 1.772 * (cb - 0.5)
    g = (y - 0.299 * r - 0.114 * b) / 0.587
    return np.clip(np.rint(np.stack([r, g, b], -1) * 255), 0, 255).astype(np.uint8)


def textured_canvas(seed, h, w):
    """Luma with texture for the flow (σ 2 px) and chroma that varies on a similar scale (σ 3 px)."""
    rng = np.random.default_rng(seed)
    luma = np.clip(128 + 45 * smooth_field(rng, h, w, 2), 0, 255)
    return rgb_from_ycbcr(luma, 0.5 + 0.1 * smooth_field(rng, h, w, 3), 0.5 + 0.1 * smooth_field(rng, h, w, 3))


def translating(seed, n=8, dx=3, dy=2):
    """A window moving over a colored canvas: luma and chroma move together by (-dx, -dy) px a frame."""
    canvas = textured_canvas(seed, H + 16 + n * dy, W + 16 + n * dx)
    return [canvas[8 + t * dy: 8 + t * dy + H, 8 + t * dx: 8 + t * dx + W] for t in range(n)]


def write_video(path, frames, fps=25):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}",
                    "-r", str(fps), "-i", "-", "-c:v", "ffv1", "-pix_fmt", "gbrp", str(path)],
                   input=b"".join(np.ascontiguousarray(f).tobytes() for f in frames), check=True)
    return path


def write_shots(path, lengths):
    """A PySceneDetect list-scenes CSV (1-based start, inclusive end) of shots of these lengths."""
    rows, start = [], 1
    for k, n in enumerate(lengths):
        rows.append(f"{k + 1},{start},,,{start + n - 1},,,{n},,")
        start += n
    path.write_text("Timecode List:,\nScene Number,Start Frame,Start Timecode,Start Time (seconds),End Frame,"
                    "End Timecode,End Time (seconds),Length (frames),Length (timecode),Length (seconds)\n"
                    + "\n".join(rows) + "\n")
    return path


def metrics(run_module, *args):
    r = run_module("video_metrics", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.split("METRICS ", 1)[1])


def unwarped_error(frames):
    """The same squared Cb/Cr difference of consecutive frames without any warping."""
    chroma = [ycbcr601(f)[1] for f in frames]
    return float(np.mean([((b - a) ** 2).sum(-1).mean() for a, b in zip(chroma, chroma[1:])]))


# ---------------------------------------------------------------- the color math, and no cv2

def test_ycbcr601():
    rgb = np.array([[[255, 255, 255], [0, 0, 0], [0, 0, 255], [255, 0, 0], [128, 128, 128]]], np.uint8)
    y, c = ycbcr601(rgb)
    np.testing.assert_array_equal(y[0], [255, 0, 29, 76, 128])
    np.testing.assert_allclose(c[0, :, 0], [0.5, 0.5, 1.0, 0.5 - 0.299 / 1.772, 0.5], atol=1e-6)
    np.testing.assert_allclose(c[0, :, 1], [0.5, 0.5, 0.5 - 0.114 / 1.402, 1.0, 0.5], atol=1e-6)
    frame = textured_canvas(1, 40, 50)
    y, c = ycbcr601(frame)  # round trip through the inverse used by the tests
    np.testing.assert_allclose(ycbcr601(rgb_from_ycbcr(y, c[..., 0], c[..., 1]))[1], c, atol=3 / 255)


def test_colorfulness():
    gray = np.full((4, 4, 3), 77, np.uint8)
    assert colorfulness(gray) == 0
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 0] = 255  # rg = 255, yb = 127.5, no spread: 0.3 * |(255, 127.5)|
    assert colorfulness(red) == pytest.approx(0.3 * np.hypot(255, 127.5))
    half = gray.copy()
    half[:2, :, 0] = 177  # rg is 100 on half the pixels, 0 on the rest; yb 50 and 0
    assert colorfulness(half) == pytest.approx(np.hypot(50, 25) + 0.3 * np.hypot(50, 25))


@needs_ffmpeg
def test_without_cv2_the_warping_error_is_unavailable(run_module, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "cv2.py").write_text("raise ImportError('cv2 hidden by the test')\n")
    video = write_video(tmp_path / "v.nut", translating(3, n=3))
    env = dict(os.environ, PYTHONPATH=str(blocked))
    r = run_module("video_metrics", video, env=env)
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout.split("METRICS ", 1)[1])
    assert m["chroma_warp_error"] is None and m["chroma_warp_note"] and m["frames"] == 3
    assert m["cdc"] is not None and m["colorfulness"] > 0
    assert "chroma warping error" in r.stdout and "n/a" in r.stdout
    notes = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(notes) == 1 and "opencv-python-headless" in notes[0], r.stderr


# ---------------------------------------------------------------- with ffmpeg (and cv2 for the warping error)

@needs_ffmpeg
def test_lossless_roundtrip(tmp_path):
    frames = translating(4, n=3)
    got = list(Frames(str(write_video(tmp_path / "v.nut", frames))))
    assert len(got) == 3 and all(np.array_equal(a, b) for a, b in zip(frames, got))


@needs_ffmpeg
@needs_cv2
def test_chroma_moving_with_the_luma_scores_zero(run_module, tmp_path):
    frames = translating(5)
    m = metrics(run_module, write_video(tmp_path / "move.nut", frames))
    assert m["chroma_warp_pairs"] == len(frames) - 1
    assert 0.8 < m["chroma_warp_kept"] < 1  # the strip that enters at the edge is not in t-1
    assert m["chroma_warp_error"] < 2e-5, m
    assert unwarped_error(frames) > 5e-3  # so without warping along the flow it would be large
    # The flow on another video's luma (a gray twin), and at half the width, see the same motion.
    gray = [np.repeat(ycbcr601(f)[0][..., None], 3, axis=-1) for f in frames]
    m2 = metrics(run_module, tmp_path / "move.nut", "--flow-luma", write_video(tmp_path / "gray.nut", gray))
    assert m2["chroma_warp_error"] == pytest.approx(m["chroma_warp_error"], rel=0.05, abs=1e-6)
    m3 = metrics(run_module, tmp_path / "move.nut", "--flow-width", W // 2)
    assert m3["flow_width"] == W // 2 and m3["chroma_warp_error"] < 1e-4, m3


@needs_ffmpeg
@needs_cv2
def test_chroma_flickering_independently_of_the_luma_scores_high(run_module, tmp_path):
    rng = np.random.default_rng(6)
    frames = []
    for f in translating(5):
        y, c = ycbcr601(f)
        shift = rng.uniform(-0.06, 0.06, 2)  # the same motion, plus a chroma offset of its own every frame
        frames.append(rgb_from_ycbcr(y, c[..., 0] + shift[0], c[..., 1] + shift[1]))
    m = metrics(run_module, write_video(tmp_path / "flicker.nut", frames))
    assert m["chroma_warp_error"] > 1e-3, m
    steady = metrics(run_module, write_video(tmp_path / "move.nut", translating(5)))
    assert m["chroma_warp_error"] > 100 * steady["chroma_warp_error"]


def moving_square(n=8, step=6):
    """A textured square with its own chroma moving right over a still textured background: every
    frame is consistent, but the strip the square uncovers was the square's color in the frame before."""
    rng = np.random.default_rng(7)
    bg = np.clip(128 + 45 * smooth_field(rng, H, W, 2), 0, 255)
    sq = np.clip(128 + 45 * smooth_field(rng, 40, 40, 2), 0, 255)
    frames = []
    for t in range(n):
        luma, cb, cr = bg.copy(), np.full((H, W), 0.42), np.full((H, W), 0.58)
        x = 20 + step * t
        luma[40:80, x:x + 40], cb[40:80, x:x + 40], cr[40:80, x:x + 40] = sq, 0.65, 0.35
        frames.append(rgb_from_ycbcr(luma, cb, cr))
    return frames


@needs_ffmpeg
@needs_cv2
def test_disoccluded_pixels_are_excluded(run_module, tmp_path):
    frames = moving_square()
    m = metrics(run_module, write_video(tmp_path / "square.nut", frames))
    assert m["chroma_warp_error"] < 2e-4, m
    # Without the occlusion mask the uncovered strip dominates.
    unmasked = ChromaWarpError(W, H, occlusion_check=False)
    prev = None
    for f in frames:
        y, c = ycbcr601(f)
        if prev:
            unmasked.add(prev[0], y, prev[1], c)
        prev = (y, c)
    assert unmasked.value > 5e-4 and unmasked.value > 5 * m["chroma_warp_error"], (unmasked.value, m)


@needs_ffmpeg
@needs_cv2
def test_pairs_across_a_cut_are_skipped(run_module, tmp_path):
    frames = translating(8, n=5) + translating(9, n=5)
    video = write_video(tmp_path / "cut.nut", frames)
    m = metrics(run_module, video, "--shots", write_shots(tmp_path / "shots.csv", [5, 5]))
    assert m["shots"] == 2 and m["chroma_warp_pairs"] == 8
    assert m["chroma_warp_error"] < 2e-5, m
    whole = metrics(run_module, video)
    assert whole["chroma_warp_pairs"] == 9 and whole["chroma_warp_error"] > 10 * m["chroma_warp_error"]
