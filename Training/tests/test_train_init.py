"""train --init: a second stage that starts from a model file's weights with the FINETUNE recipe."""

import hashlib
import json

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


class FixedHead:
    """A stand-in for the starting model: classify() gives the same logits whatever the picture."""

    def __init__(self, logits):
        self.logits = torch.tensor(logits, dtype=torch.float32)

    def classify(self, gray):
        return self.logits[: gray.shape[0]]


def test_the_product_code_is_what_class_auto_gives():
    from kinecolor_training import data as D
    sure, unsure = [0.0] * len(D.CLASS_NAMES), [0.0] * len(D.CLASS_NAMES)
    sure[D.CLASS_INDEX["sport"]] = 10.0     # p ~ 1: sport
    unsure[D.CLASS_INDEX["landscape"]] = 1.0  # p ~ 0.21: below any threshold here
    plant = [0.0] * len(D.CLASS_NAMES)
    plant[D.CLASS_INDEX["plant"]] = 4.0      # p ~ 0.84: above 0.8, below plant's own 0.9
    head = FixedHead([sure, unsure, plant])
    gray = torch.zeros(3, 1, 8, 8)
    inference = {"auto_class_min_probability": 0.8, "auto_class_fallback": "general"}
    assert [D.CLASS_NAMES[int(c)] for c in train.product_codes(head, gray, inference)] == ["sport", "general", "plant"]
    inference["auto_class_min_probability_by_class"] = {"plant": 0.9}
    assert [D.CLASS_NAMES[int(c)] for c in train.product_codes(head, gray, inference)] == ["sport", "general", "general"]
    # without a fallback, --class auto is the top class whatever its probability
    assert [D.CLASS_NAMES[int(c)] for c in train.product_codes(head, gray, {})] == ["sport", "landscape", "plant"]


def test_a_second_stage_keeps_the_starting_model_for_the_product_codes(tmp_path, run_module):
    tiny_corpus(tmp_path / "corpus")
    r = run_module("train", "--data", tmp_path / "corpus", "--out", tmp_path / "run", "--init", EMBEDDED,
                   "--minutes", "0", "--precision", "fp32", "--threads", "1", "--product-code", "0.3")
    assert r.returncode == 0, r.stderr
    ck = torch.load(tmp_path / "run" / "ckpt.pt", weights_only=False)
    with safe_open(EMBEDDED, framework="pt") as f:
        assert ck["init"]["inference"] == json.loads(f.metadata()["inference"])
    # --resume rebuilds the frozen starting model from here, not from the (moving) trained one
    assert sorted(ck["teacher"]) == sorted(ck["model"])
    assert all(torch.equal(ck["teacher"][k], ck["model"][k]) for k in ck["model"])
    assert ck["recipe"]["product_code"] == 0.3
    assert "the starting file's --class auto 30%" in recipe_summary(ck)
    # not part of the recipe: a stage without the option trains on the true class and "general" only
    assert train.FINETUNE.get("product_code", train.RECIPE["product_code"]) == 0


def test_refuses_a_product_code_without_a_starting_file_or_out_of_range(tmp_path, run_module):
    for args in (["--product-code", "0.3"], ["--init", EMBEDDED, "--product-code", "0.9"]):
        r = run_module("train", "--data", tmp_path, "--out", tmp_path / "run", *args)
        assert r.returncode == 2 and "--product-code needs --init" in r.stderr and "Traceback" not in r.stderr
