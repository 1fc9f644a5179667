"""set_inference: a copy of a model file with other inference defaults, weights untouched."""

import json
import os

import numpy as np
import pytest
from safetensors import safe_open

from kinecolor_training import paths
from kinecolor_training.set_inference import main

TINY = paths.repo_path("Tests", "ModelTests", "Fixtures", "tiny.safetensors")


def read(path):
    with safe_open(path, framework="np") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}


def test_changes_only_the_named_inference_keys(tmp_path):
    out = tmp_path / "m.safetensors"
    before = open(TINY, "rb").read()
    main([TINY, "-o", str(out), "--z-std", "0.4", "--saturation", "0.9"])
    assert open(TINY, "rb").read() == before  # the input is never modified
    t0, m0 = read(TINY)
    t1, m1 = read(str(out))
    assert t0.keys() == t1.keys() and all(np.array_equal(t0[k], t1[k]) and t0[k].dtype == t1[k].dtype for k in t0)
    inf0, inf1 = json.loads(m0.get("inference", "{}")), json.loads(m1["inference"])
    assert inf1 == {**inf0, "z_std": 0.4, "saturation": 0.9}
    assert {k: v for k, v in m1.items() if k != "inference"} == {k: v for k, v in m0.items() if k != "inference"}


def test_refuses_bad_values_and_an_existing_output(tmp_path, capsys):
    out = tmp_path / "m.safetensors"
    with pytest.raises(SystemExit) as e:
        main([TINY, "-o", str(out), "--z-std", "9"])
    assert "--z-std 9" in str(e.value) and not out.exists()
    with pytest.raises(SystemExit) as e:
        main([TINY, "-o", str(out), "--size", "100"])
    assert "--size 100" in str(e.value)
    out.write_bytes(b"keep")
    with pytest.raises(SystemExit) as e:
        main([TINY, "-o", str(out), "--z-std", "0.4"])
    assert "exists" in str(e.value) and out.read_bytes() == b"keep"
    main([TINY, "-o", str(out), "--z-std", "0.4", "-y"])
    assert json.loads(read(str(out))[1]["inference"])["z_std"] == 0.4
    assert not os.path.exists(str(out) + ".tmp")


def test_refuses_a_file_that_is_not_a_model(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\xff" * 64)
    with pytest.raises(SystemExit) as e:
        main([str(bad), "-o", str(tmp_path / "o.safetensors")])
    assert str(bad) in str(e.value) and "\n" not in str(e.value)
    assert not (tmp_path / "o.safetensors").exists()


def test_thresholds_of_their_own_for_some_classes(tmp_path):
    out = tmp_path / "m.safetensors"
    main([TINY, "-o", str(out), "--auto-min-prob", "0.6", "--auto-fallback", "class0",
          "--auto-min-prob-class", "class9=0.2, class3=0.4"])
    inf = json.loads(read(str(out))[1]["inference"])
    assert inf["auto_class_min_probability_by_class"] == {"class9": 0.2, "class3": 0.4}
    main([str(out), "-o", str(tmp_path / "n.safetensors"), "--auto-min-prob-class", ""])
    assert "auto_class_min_probability_by_class" not in json.loads(read(str(tmp_path / "n.safetensors"))[1]["inference"])
    for bad, says in (("nope=0.2", "'nope' is not one"), ("class9=2", "from 0 to 1"), ("class9", "CLASS=P")):
        with pytest.raises(SystemExit) as e:
            main([TINY, "-o", str(tmp_path / "x.safetensors"), "--auto-min-prob-class", bad])
        assert says in str(e.value) and "\n" not in str(e.value)
