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
