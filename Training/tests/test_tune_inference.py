"""tune_inference scores a calibrated file through its chroma table, as the product runs it."""

import re

import numpy as np
import pytest

from kinecolor_training import paths

pytest.importorskip("torch")
from corpus_helpers import tiny_corpus  # noqa: E402
from kinecolor_training.calibration import KEY  # noqa: E402
from kinecolor_training.set_inference import read_model, write_model  # noqa: E402

EMBEDDED = paths.repo_path("Sources", "Weights", "kinecolor-default-v3.safetensors")


def test_a_calibrated_file_is_scored_through_its_table(tmp_path, run_module):
    tiny_corpus(tmp_path / "corpus")
    tensors, meta = read_model(EMBEDDED)
    # A table that maps every a/b the network says to neutral: whatever the network paints, the
    # scored output must have no color at all.
    tensors[KEY] = np.zeros_like(tensors[KEY])
    gray_table = str(tmp_path / "neutral.safetensors")
    write_model(gray_table, tensors, meta)
    r = run_module("tune_inference", gray_table, "--data", tmp_path / "corpus", "--per-group", "0",
                   "--sizes", "128", "--saturations", "1.0", "--z-stds", "0.4", "--threads", "1")
    assert r.returncode == 0, r.stderr
    row = next(line for line in r.stdout.splitlines() if line.startswith(" 128  0.40 1.00"))
    ratios = [float(cf) for cf in re.findall(r"/(\d+\.\d+)", row)]
    assert len(ratios) == 8 and all(cf == 0 for cf in ratios), row


def test_a_class_of_its_own_threshold_moves_only_the_pictures_it_tops(capsys):
    from kinecolor_training.tune_inference import print_class_thresholds
    # Three pictures: top class 1 at p 0.5, top class 2 at p 0.3, top class 2 at p 0.9. CIEDE2000 is
    # 10, 20, 30 with the top class and 11, 22, 33 with "general"; the manifests call them 1, 2, 5.
    de = {"auto": (10, 20, 30), "general": (11, 22, 33)}
    rows = [{(128, v, 0.4, 1.0): np.array([de[v][i], 0, 0, 0]) for v in de} for i in range(3)]
    print_class_thresholds(rows, [0.5, 0.3, 0.9], [1, 2, 2], [1, 2, 5], [128], [0.4], [1.0], 0.7, [0.2, 0.4])
    out = {line.split()[3]: re.findall(r"(\d+\.\d+)/\s*(\d+\.\d+|-)", line)
           for line in capsys.readouterr().out.splitlines() if line.startswith(" 128")}
    # Only classes the head tops below the base get a row; class 2's own threshold moves only
    # picture 2 (p 0.3): kept at 0.2, not at 0.4 (below it: "general"); picture 1 stays "general".
    assert set(out) == {"portrait", "people"}
    assert out["people"] == [("21.00", "22.00"), ("20.33", "20.00"), ("21.00", "22.00")]
    # Class 1 at 0.2 or 0.4 keeps picture 1 (p 0.5) with its class; pictures 2 and 3 as at the base.
    assert out["portrait"] == [("21.00", "11.00"), ("20.67", "10.00"), ("20.67", "10.00")]
