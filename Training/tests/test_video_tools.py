"""video_metrics' histogram and shot helpers, and the numpy mirror of the shot detector."""

import subprocess

import numpy as np
import pytest

from kinecolor_training.shots_eval.reference_detector import detect, match
from kinecolor_training.video_metrics import Frames, ShotIndex, js_divergence, read_shot_csv, rgb_histograms
from report_helpers import needs_ffmpeg


def test_js_divergence_known_values():
    p = np.array([[1.0, 0.0], [0.5, 0.5]])
    np.testing.assert_allclose(js_divergence(p, p), [0, 0], atol=1e-15)
    np.testing.assert_allclose(js_divergence(p, p[:, ::-1]), [np.log(2), 0], atol=1e-15)
    q = np.array([[0.25, 0.75]])
    m = np.array([0.375, 0.625])  # JS(p, q) = (KL(p||m) + KL(q||m)) / 2 with m = (p + q) / 2
    kl = lambda a, b: np.sum(a * np.log(a / b))  # noqa: E731
    want = 0.5 * kl(np.array([0.5, 0.5]), m) + 0.5 * kl(q[0], m)
    assert js_divergence(p[1:], q)[0] == pytest.approx(want, rel=1e-12)


def test_rgb_histograms():
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0] = (255, 10, 0)
    h = rgb_histograms(rgb)
    assert h.shape == (3, 256)
    np.testing.assert_allclose(h.sum(1), 1)
    assert h[0, 255] == 0.25 and h[0, 0] == 0.75 and h[1, 10] == 0.25 and h[2, 0] == 1


def test_shot_csv_and_index(tmp_path):
    csv = tmp_path / "shots.csv"
    csv.write_text("Timecode List:,00:00:04.000\n"
                   "Scene Number,Start Frame,Start Timecode,Start Time (seconds),End Frame,End Timecode,"
                   "End Time (seconds),Length (frames),Length (timecode),Length (seconds)\n"
                   "1,1,,,99,,,99,,\n2,100,,,155,,,56,,\n3,156,,,271,,,116,,\n")
    shots = read_shot_csv(str(csv))
    assert shots == [(0, 99), (99, 155), (155, 271)]
    index = ShotIndex(shots)
    assert index.same(0, 98) and not index.same(98, 99) and index.same(99, 154) and not index.same(154, 155)
    assert ShotIndex(None).same(0, 1000)


def smooth_picture(rng, h=90, w=160):
    coarse = rng.random((h // 10, w // 10))
    return np.kron(coarse, np.ones((10, 10))) * 200 + 20


def test_reference_detector_finds_hard_cuts_only():
    rng = np.random.default_rng(4)
    a, b, c = smooth_picture(rng), smooth_picture(rng), smooth_picture(rng)
    wide = np.kron(rng.random((9, 60)), np.ones((10, 10))) * 200 + 20
    noisy = lambda img: np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)  # noqa: E731
    frames = [noisy(a) for _ in range(20)]
    frames[10] = np.full_like(frames[10], 250)                         # a one-frame flash: not a cut
    frames += [noisy(b) for _ in range(20)]                             # cut at 20
    frames += [noisy(b + (c - b) * k / 20) for k in range(1, 21)]      # a 20-frame cross-dissolve: not a cut
    frames += [noisy(c) for _ in range(20)]
    frames += [noisy(wide[:, :160]) for _ in range(10)]                # cut at 80
    frames += [noisy(wide[:, 14 * k:14 * k + 160]) for k in range(1, 30)]  # a fast pan, 14 px a frame: no cut
    found = detect(np.stack(frames))
    assert found == [20, 80]
    assert match([20, 40, 80], found) == (2, 0, 1)  # (hits, false positives, misses)


def test_match_counts_each_cut_once_within_one_frame():
    assert match([10, 50], [9, 11, 51, 80]) == (2, 2, 0)


@needs_ffmpeg
def test_frames_are_the_decoded_frames_across_a_timestamp_gap(tmp_path):
    """A clip whose timestamps jump after its first frame (as the Megamind sample's do) decodes to its own frames,
    once each, so that frame k is the k-th frame of the cut list; a repeated frame would shift every shot."""
    clip = tmp_path / "gap.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=32x24:rate=10", "-frames:v", "5",
                    "-vf", "setpts='if(gte(N,1),PTS+4,PTS)'", "-c:v", "ffv1", str(clip)], check=True)
    frames = list(Frames(str(clip)))
    assert len(frames) == 5
    assert all(not np.array_equal(a, b) for a, b in zip(frames, frames[1:]))  # testsrc moves every frame
