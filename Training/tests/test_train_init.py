"""train --init: a second stage that starts from a model file's weights with the FINETUNE recipe."""

import hashlib

import pytest
from safetensors import safe_open

from kinecolor_training import paths

torch = pytest.importorskip("torch")
from corpus_helpers import tiny_corpus  # noqa: E402
from kinecolor_training import train  # noqa: E402
from kinecolor_training.export import recipe_summary  # noqa: E402

EMBEDDED = paths.repo_path("Sources", "Weights", "kinecolor-default-v3.safetensors")


def test_a_second_stage_starts_from_the_file_with_its_own_recipe(tmp_path, run_module):
    tiny_corpus(tmp_path / "corpus")
    # No training steps: the checkpoint then holds exactly what the stage started from.
    r = run_module("train", "--data", tmp_path / "corpus", "--out", tmp_path / "run", "--init", EMBEDDED,
                   "--minutes", "0", "--precision", "fp32", "--threads", "1")
    assert r.returncode == 0, r.stderr
    ck = torch.load(tmp_path / "run" / "ckpt.pt", weights_only=False)
    with open(EMBEDDED, "rb") as f:
        assert ck["init"]["sha256"] == hashlib.sha256(f.read()).hexdigest()
    with safe_open(EMBEDDED, framework="pt") as f:
        meta = f.metadata()
        keys = [k for k in f.keys() if k != "calibration.ab"]
        assert sorted(keys) == sorted(ck["model"])
        for k in keys:
            assert torch.equal(ck["model"][k].float(), f.get_tensor(k).float()), k
    assert ck["recipe"]["size"] == 128 and ck["recipe"]["lr_g"] == train.FINETUNE["lr_g"]
    assert ck["recipe"]["content_boost"] == train.FINETUNE["content_boost"]
    summary = recipe_summary(ck)
    assert summary.startswith(meta["training_recipe"] + " Then a second stage")


def test_refuses_init_with_resume_and_a_file_that_is_not_a_model(tmp_path, run_module):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\xff" * 64)
    r = run_module("train", "--data", tmp_path, "--out", tmp_path / "run", "--init", bad)
    assert r.returncode == 2 and f"--init {bad}:" in r.stderr and "Traceback" not in r.stderr
    r = run_module("train", "--data", tmp_path, "--out", tmp_path / "run", "--init", EMBEDDED, "--resume")
    assert r.returncode == 2 and "--resume alone" in r.stderr
