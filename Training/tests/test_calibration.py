"""Chroma calibration: the fit recovers a known relation, its median ignores a few vivid pixels, and
apply() gives the numbers the Swift engine is pinned to (Tests/ModelTests/ChromaCalibrationTests.swift)."""

import json
import os

import numpy as np
import pytest
from safetensors import safe_open

from kinecolor_training import calibration as C
from kinecolor_training import paths

TINY = paths.repo_path("Tests", "ModelTests", "Fixtures", "tiny.safetensors")


def pinned_table():
    t = np.zeros((3, 5, 5, 2), np.float32)
    for l in range(3):
        for i in range(5):
            for j in range(5):
                t[l, i, j] = ((i - 2) * 3 + l + 0.25 * i * j, (j - 2) * -2 + 0.5 * l * l)
    return t


def test_apply_matches_the_numbers_the_swift_engine_is_pinned_to():
    ab = np.array([[13, 50, -39.5, 0, 7], [-7, 50, 3, 0, -33]], np.float32)[:, None, :]
    luma = np.array([0.1, 0.5, 0.95, 0.5, 0.7], np.float32)[None]
    out = C.apply(pinned_table(), ab, luma, ab_range=40).reshape(2, -1)
    np.testing.assert_allclose(out[0], [3.0431254, 11.0, -3.9115624, 2.0, 2.8556247], atol=1e-4)
    np.testing.assert_allclose(out[1], [0.7, -3.5, 1.7, 0.5, 4.7], atol=1e-4)


def test_the_fit_learns_where_the_network_is_wrong():
    # the network says a/b; the truth is half of a where the gray is dark and b's sign flipped
    # where it is bright: the table learns both, and apply() then gives the truth back
    rng = np.random.default_rng(0)
    acc = C.Accumulator(l_bins=2)
    truths = []
    for _ in range(40):
        ab = rng.uniform(-60, 60, (2, 16, 16))
        luma = np.where(rng.uniform(size=(16, 16)) < 0.5, 0.2, 0.8)
        truth = np.where(luma < 0.5, np.stack([ab[0] * 0.5, ab[1]]), np.stack([ab[0], -ab[1]]))
        acc.add(ab, truth, luma)
        truths.append((ab, truth, luma))
    table = acc.table(prior_gain=1.0, strength=1e-3)
    ab, truth, luma = truths[0]
    luma_centres = np.where(luma < 0.5, 0.25, 0.75)  # band centres: no blending between bands
    got = C.apply(table, ab.astype(np.float32), luma_centres.astype(np.float32))
    assert np.abs(got - truth).mean() < 2.0
    assert np.abs(ab - truth).mean() > 15  # the raw network was far off


def test_the_median_table_does_not_follow_a_few_vivid_pixels():
    # behind one network a/b (0, 0): 80 % of the pixels are a pale warm (6, 10), 20 % a vivid blue
    # (-20, -60). The mean is a cast no pixel had, (0.8, -4); the median stays at the pale warm.
    acc = C.Accumulator(l_bins=1)
    for k in range(10):
        truth = np.zeros((2, 10, 10))
        truth[0], truth[1] = 6, 10
        truth[:, :2] = np.array([-20, -60])[:, None, None]
        acc.add(np.zeros((2, 10, 10)), truth, np.full((10, 10), 0.5))
    node = (0, C.NODES // 2, C.NODES // 2)
    mean = acc.table(strength=1e-3, statistic="mean")[node]
    median = acc.table(strength=1e-3, statistic="median")[node]
    np.testing.assert_allclose(mean, [0.8, -4.0], atol=0.05)
    np.testing.assert_allclose(median, [6.0, 10.0], atol=0.5)
    with pytest.raises(ValueError):
        acc.table(statistic="mode")


def test_calibrate_refuses_an_existing_output_and_the_input(tmp_path):
    pytest.importorskip("torch")  # calibrate runs the network
    from kinecolor_training.calibrate import main
    out = tmp_path / "m.safetensors"
    out.write_bytes(b"keep")
    with pytest.raises(SystemExit) as e:
        main([TINY, "-o", str(out)])
    assert "exists" in str(e.value) and out.read_bytes() == b"keep"
    with pytest.raises(SystemExit) as e:
        main([TINY, "-o", TINY])
    assert "the output is the input" in str(e.value)


def test_the_embedded_model_carries_a_calibration():
    path = paths.repo_path("Sources", "Weights", "kinecolor-default-v3.safetensors")
    with safe_open(path, framework="np") as f:
        table = f.get_tensor(C.KEY)
        meta = json.loads(f.metadata()["calibration"])
    assert table.shape[1:] == (C.NODES, C.NODES, 2) and np.isfinite(table).all()
    assert meta["ab_range"] == C.AB_RANGE and "training images" in meta["fitted_on"]
    assert meta["statistic"] == "median"  # Training/README.md, "A median calibration"


def test_calibrate_writes_a_calibrated_copy(tmp_path):
    pytest.importorskip("torch")
    corpus = paths.shared_dir("corpus")
    if not corpus or not os.path.isdir(os.path.join(corpus, "train")):
        pytest.skip("../shared/corpus is not here")
    from kinecolor_training.calibrate import main
    out = tmp_path / "cal.safetensors"
    before = open(TINY, "rb").read()
    main([TINY, "-o", str(out), "--images", "3", "--tune-per-group", "1", "--l-bins", "4", "--saturation", "1.1"])
    assert open(TINY, "rb").read() == before and not os.path.exists(str(out) + ".tmp")
    with safe_open(str(out), framework="np") as f:
        table = f.get_tensor(C.KEY)
        meta = f.metadata()
    assert table.shape == (4, C.NODES, C.NODES, 2) and np.isfinite(table).all()
    assert json.loads(meta["inference"])["saturation"] == 1.1
    assert json.loads(meta["calibration"])["ab_range"] == C.AB_RANGE
    assert json.loads(meta["calibration"])["statistic"] == "median"
