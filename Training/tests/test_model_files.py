"""The committed model files, read with the reference safetensors package (numpy only)."""

import json

import numpy as np
from safetensors import safe_open

from kinecolor_training import paths
from kinecolor_training.configs import TINY_CONFIG, check_config

FIXTURES = paths.repo_path("Tests", "ModelTests", "Fixtures")


def read(path):
    with safe_open(path, framework="np") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}


def test_tiny_fixture_is_the_tiny_config():
    tensors, meta = read(f"{FIXTURES}/tiny.safetensors")
    assert meta["format"] == "kinecolor.bigcolor" and meta["architecture_version"] == "1"
    assert json.loads(meta["config"]) == TINY_CONFIG
    assert json.loads(meta["class_names"]) == [f"class{i}" for i in range(10)]
    assert len(tensors) == 138 and all(t.dtype == np.float32 for t in tensors.values())
    assert tensors["G.shared.weight"].shape == (10, 16)
    assert tensors["G.blocks.3.1.gamma"].shape == ()


def test_tiny_activations_have_the_shapes_of_the_tiny_model():
    acts, meta = read(f"{FIXTURES}/tiny_activations.safetensors")
    assert meta["class"] == "3" and meta["model"] == "tiny.safetensors"
    cfg = TINY_CONFIG
    enc, gen, first = cfg["encoder_channels"], cfg["generator_channels"], cfg["generator_first_block"]
    h, w = acts["x"].shape[-2:]
    assert acts["x"].shape == (1, 1, 32, 48) and acts["z"].shape == (cfg["dim_z"],)
    assert acts["e"].shape == (cfg["shared_dim"],)
    for k in range(5):  # the encoder halves the size after its first block: H/16 at the end
        assert acts[f"E.res{k + 1}"].shape == (1, enc[k], h >> k, w >> k)
    for j in range(4):  # the generator blocks that run double it back
        name = f"G.blocks.{first + j}" + (".1" if first + j == cfg["attention_block"] else "")
        assert acts[name].shape == (1, gen[j + 1], h >> (3 - j), w >> (3 - j)), name
    assert acts["out"].shape == (1, 3, h, w) and np.abs(acts["out"]).max() < 1  # tanh


def test_default_model_metadata():
    tensors, meta = read(paths.repo_path("Sources", "Weights", "kinecolor-default-v3.safetensors"))
    cfg = json.loads(meta["config"])
    check_config(cfg)
    names = json.loads(meta["class_names"])
    # v2's eight classes first, in v2's order, so that a v2 project's classes stay valid.
    assert names == ["general", "portrait", "people", "street", "interior", "landscape", "animal", "object",
                     "plant", "food", "sport"]
    assert len(names) == cfg["num_classes"]
    inference = json.loads(meta["inference"])
    # The defaults evaluate measured into Docs/quality.md (Training/README.md, "A smaller spread of z" and
    # "Chroma calibration" and "A median calibration": the gain after the calibration; "A class head fitted
    # again": the threshold for the new head; "A second stage": the gain calibrate chose after it; "The
    # threshold again, with the engine's fusion": p 0.7; "A threshold of its own for sport and food": 0.4).
    assert inference == {"size": 128, "saturation": 1.2, "z_std": 0.4, "auto_class_min_probability": 0.7,
                         "auto_class_fallback": "general",
                         "auto_class_min_probability_by_class": {"sport": 0.4, "food": 0.4}}
    # The class head was fitted again on the frozen encoder, and the file says how and how well.
    head = json.loads(meta["class_head"])
    assert "degraded" in head["fitted_on"] and len(head["git_commit"]) == 40
    assert head["holdout_accuracy"]["after"] > head["holdout_accuracy"]["before"] + 0.2
    assert all(t.dtype == np.float16 for k, t in tensors.items() if k != "calibration.ab")
    assert tensors["calibration.ab"].dtype == np.float32
    assert tensors["C.weight"].shape == (11, cfg["encoder_channels"][-1])
    # Where it came from: the recipe, the commit, and every part of the corpus, ext2 included.
    assert set(json.loads(meta["corpus_manifests"])) == {"core", "ext", "ext2"}
    assert len(meta["git_commit"]) == 40 and "steps" in meta["training_recipe"]
    # Trained with sport, vehicles, animals and people in streets drawn more often (Training/README.md, "A
    # fourth v3 run"): the file says so.
    assert "content groups animals x1.5, people_street x1.5, sport x2.5, vehicles x2.5;" in meta["training_recipe"]
    # Then 20 minutes more from that network with the weak groups drawn more often still ("A second stage").
    assert "Then a second stage, kinecolor_training.train --init" in meta["training_recipe"]
    assert "people_street x2.5, sport x4, vehicles x4;" in meta["training_recipe"]
