"""refit_class_head: a new class head on the frozen encoder, nothing else in the file changed."""

import json
import os

import numpy as np
import pytest
from safetensors import safe_open

from kinecolor_training import paths

# The tool and the data module it reads the corpus with need PyTorch; without it the module is skipped.
pytest.importorskip("torch")
from corpus_helpers import tiny_corpus  # noqa: E402

EMBEDDED = paths.repo_path("Sources", "Weights", "kinecolor-default-v3.safetensors")


def read(path):
    with safe_open(path, framework="np") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}


def test_the_fit_separates_classes_and_never_answers_general():
    torch = pytest.importorskip("torch")
    from kinecolor_training.refit_class_head import GENERAL_BIAS, fit
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(4, 8, generator=g) * 3
    y = torch.tensor([1, 2, 3] * 40)
    x = centres[y] + torch.randn(len(y), 8, generator=g) * 0.5 + 10  # an offset the standardization must fold back
    weight, bias = fit(x, y, num_classes=4, weight_decay=1e-4, general=0)
    logits = x @ weight.T + bias
    assert (logits.argmax(1) == y).all()
    assert float(bias[0]) == GENERAL_BIAS and not weight[0].any()
    assert float(torch.softmax(logits, 1)[:, 0].max()) < 1e-6


def test_weighting_by_class_size_gives_a_small_class_its_share():
    torch = pytest.importorskip("torch")
    from kinecolor_training.refit_class_head import fit
    g = torch.Generator().manual_seed(0)
    # Two overlapping classes, one 16 times the other: unweighted, the small one loses the overlap.
    y = torch.tensor([1] * 1600 + [2] * 100)
    x = torch.randn(len(y), 2, generator=g) + (y == 2).float()[:, None] * 1.0
    small = x[y == 2]
    found = {}
    for power in (0.0, 0.5):
        weight, bias = fit(x, y, num_classes=3, weight_decay=1e-4, general=0, class_power=power)
        found[power] = float(((small @ weight.T + bias).argmax(1) == 2).float().mean())
    assert found[0.0] < 0.15 and found[0.5] > found[0.0] + 0.15, found


def test_writes_a_copy_with_only_the_class_head_changed(tmp_path, capsys):
    pytest.importorskip("torch")
    from kinecolor_training.refit_class_head import main
    tiny_corpus(tmp_path / "corpus")
    out = tmp_path / "m.safetensors"
    before = open(EMBEDDED, "rb").read()
    cache = str(tmp_path / "features.pt")
    main([EMBEDDED, "-o", str(out), "--data", str(tmp_path / "corpus"), "--degraded", "1", "--cache", cache])
    assert open(EMBEDDED, "rb").read() == before and not os.path.exists(str(out) + ".tmp")
    t0, m0 = read(EMBEDDED)
    t1, m1 = read(str(out))
    assert t0.keys() == t1.keys()
    for k in t0:
        assert t0[k].dtype == t1[k].dtype and t0[k].shape == t1[k].shape
        assert np.array_equal(t0[k], t1[k]) == (k not in ("C.weight", "C.bias")), k
    assert {k: v for k, v in m1.items() if k != "class_head"} == \
        {k: v for k, v in m0.items() if k != "class_head"}  # every other key as it was
    fitted = json.loads(m1["class_head"])
    assert fitted["holdout_accuracy"]["after"] == 1.0  # food and sport pictures are easy to tell apart
    assert "1 degraded copy" in fitted["fitted_on"] and fitted["class_weight"] == "none"
    assert "new head: 100.0%" in capsys.readouterr().out
    # A second fit on the same encoder reads the features back and writes the same head.
    again = tmp_path / "again.safetensors"
    main([EMBEDDED, "-o", str(again), "--data", str(tmp_path / "corpus"), "--degraded", "1", "--cache", cache])
    assert f"features from {cache}" in capsys.readouterr().out
    t2, _ = read(str(again))
    assert np.array_equal(t1["C.weight"], t2["C.weight"]) and np.array_equal(t1["C.bias"], t2["C.bias"])


def test_general_becomes_a_class_of_its_own_with_the_unlabelled_pictures(tmp_path):
    pytest.importorskip("torch")
    from PIL import Image

    from kinecolor_training.refit_class_head import GENERAL_BIAS, main
    corpus = tmp_path / "corpus"
    tiny_corpus(corpus)
    manifest = corpus / "train" / "ext2" / "manifest.csv"
    rows = []
    for k in range(20):  # unlabelled wallpapers: a vertical gradient, neither food nor pitch
        img = np.linspace(40, 230, 96)[:, None, None].repeat(128, 1).repeat(3, 2).astype(np.uint8)
        Image.fromarray(img).save(corpus / "train" / "ext2" / f"pics/wall_{k}.jpg")
        rows.append(f"pics/wall_{k}.jpg,wallpaper,,,cc0")
    manifest.write_text(manifest.read_text() + "\n".join(rows) + "\n")
    out = {}
    for flag in ([], ["--general"]):
        out[bool(flag)] = tmp_path / f"m{len(flag)}.safetensors"
        main([EMBEDDED, "-o", str(out[bool(flag)]), "--data", str(corpus), "--degraded", "0"] + flag)
    plain, with_general = read(str(out[False])), read(str(out[True]))
    assert float(plain[0]["C.bias"][0]) == GENERAL_BIAS
    assert float(with_general[0]["C.bias"][0]) > GENERAL_BIAS / 2 and with_general[0]["C.weight"][0].any()
    fitted = json.loads(with_general[1]["class_head"])
    assert fitted["general_is_a_target"] and "unlabelled" in fitted["fitted_on"]


def test_refuses_an_existing_output_and_a_file_that_is_not_a_model(tmp_path):
    pytest.importorskip("torch")
    from kinecolor_training.refit_class_head import main
    out = tmp_path / "m.safetensors"
    out.write_bytes(b"keep")
    with pytest.raises(SystemExit) as e:
        main([EMBEDDED, "-o", str(out), "--data", str(tmp_path)])
    assert "exists" in str(e.value) and out.read_bytes() == b"keep"
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\xff" * 64)
    with pytest.raises(SystemExit) as e:
        main([str(bad), "-o", str(tmp_path / "o.safetensors"), "--data", str(tmp_path)])
    assert str(bad) in str(e.value) and "\n" not in str(e.value)
