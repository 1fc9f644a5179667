"""The PyTorch model code against the committed reference files, and the exporter and converter end to end."""

import csv
import hashlib
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from safetensors import safe_open  # noqa: E402

from kinecolor_training import bigcolor, paths  # noqa: E402
from kinecolor_training.convert_bigcolor import infer_config  # noqa: E402

FIXTURES = paths.repo_path("Tests", "ModelTests", "Fixtures")


def read(path):
    with safe_open(path, framework="np") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}


def test_tiny_fixture_activations_are_reproduced():
    """make_fixtures' float64 reference, from the committed weights: every block's output."""
    model, _ = bigcolor.load_folded(f"{FIXTURES}/tiny.safetensors", torch.float64)
    acts, meta = read(f"{FIXTURES}/tiny_activations.safetensors")
    x, z = torch.from_numpy(acts["x"]).double(), torch.from_numpy(acts["z"]).double()
    with torch.no_grad():
        out, got = model(x, int(meta["class"]), z, return_intermediates=True)
    got["e"] = got["e"][0]
    for name in acts:
        if name not in ("x", "z"):
            np.testing.assert_allclose(got[name].numpy(), acts[name], rtol=0, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(out.numpy(), acts["out"], rtol=0, atol=1e-5)


def test_default_model_reference_is_reproduced():
    """make_default_reference's output for the embedded model (F16 weights widened on load)."""
    model, _ = bigcolor.load_folded(paths.repo_path("Sources", "Weights", "kinecolor-default-v3.safetensors"),
                                    torch.float64)
    ref, meta = read(f"{FIXTURES}/default_reference.safetensors")
    x = torch.from_numpy(ref["x"]).double()
    with torch.no_grad():
        out = model(x, int(meta["class"]), torch.from_numpy(ref["z"]).double())
        probs = torch.softmax(model.classify(x), dim=1)[0]
    np.testing.assert_allclose(out.numpy(), ref["out"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(probs.numpy(), ref["probs"], rtol=0, atol=1e-5)


def test_infer_config_of_the_official_layouts():
    for name, cfg in bigcolor.CONFIGS.items():
        with torch.device("meta"):
            sd = bigcolor.Colorizer(cfg, official=True).state_dict()
        assert infer_config(sd) == cfg, name


def fake_corpus(root):
    rows = {"core": [("a.jpg", "imagenet", "n01440764 tench", ""), ("b.jpg", "pixabay", "", "face")],
            "ext": [("c.jpg", "sunhays", "street", "")],
            "ext2": [("flowers/d.jpg", "flowers", "tulip", "flowers")]}
    for part, items in rows.items():
        (root / "train" / part).mkdir(parents=True)
        with open(root / "train" / part / "manifest.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["file", "source", "label", "content"])
            w.writerows(items)
    h = hashlib.sha256()
    for part in ("core", "ext", "ext2"):
        h.update((root / "train" / part / "manifest.csv").read_bytes())
    return h.hexdigest()


def test_export_writes_a_model_file_that_loads_back(tmp_path, run_module):
    from kinecolor_training import train

    cfg = dict(bigcolor.TINY_CONFIG, num_classes=8, class_head=True)
    names = ["general", "portrait", "people", "street", "interior", "landscape", "animal", "object"]
    model = bigcolor.Colorizer(cfg, official=False)
    bigcolor.randomize_(model, seed=5)
    model = model.to(memory_format=torch.channels_last)  # as train.py keeps it
    torch.save({"config": cfg, "class_names": names, "ema": model.state_dict(), "model": model.state_dict(),
                "recipe": dict(train.RECIPE, content_boost={"sport": 2.5, "animals": 1.5}), "step": 10, "images": 160,
                "elapsed": 60.0}, tmp_path / "ckpt.pt")
    corpus_hash = fake_corpus(tmp_path / "corpus")

    out = tmp_path / "model.safetensors"
    r = run_module("export", tmp_path / "ckpt.pt", "-o", out, "--f16", "--data", tmp_path / "corpus", "--name", "t",
                   "--size", 192, "--saturation", 0.9, "--auto-min-prob", 0.7, "--auto-fallback", "general")
    assert r.returncode == 0, r.stderr
    tensors, meta = read(out)
    assert set(tensors) == set(model.state_dict()) and all(t.dtype == np.float16 for t in tensors.values())
    assert meta["format"] == "kinecolor.bigcolor" and meta["name"] == "t"
    assert json.loads(meta["config"]) == cfg and json.loads(meta["class_names"]) == names
    assert json.loads(meta["inference"]) == {"size": 192, "saturation": 0.9, "auto_class_min_probability": 0.7,
                                             "auto_class_fallback": "general"}
    assert meta["corpus_hash"] == corpus_hash
    manifests = json.loads(meta["corpus_manifests"])
    assert sorted(manifests) == ["core", "ext", "ext2"]
    assert manifests["ext2"] == hashlib.sha256((tmp_path / "corpus/train/ext2/manifest.csv").read_bytes()).hexdigest()
    assert "float32" in meta["training_recipe"] or "bf16" in meta["training_recipe"]
    assert "content groups animals x1.5, sport x2.5;" in meta["training_recipe"]
    assert "EMA (run not finished)" in meta["source"]

    loaded, _ = bigcolor.load_folded(str(out))
    model.eval()
    x = torch.rand(1, 1, 32, 48, generator=torch.Generator().manual_seed(1))
    z = torch.randn(cfg["dim_z"], generator=torch.Generator().manual_seed(2)) * 0.8
    with torch.no_grad():
        np.testing.assert_allclose(loaded(x, 3, z).numpy(), model(x, 3, z).numpy(), rtol=0, atol=2e-2)  # F16
        assert not torch.equal(loaded(x, 3, z), loaded(x, 4, z))


def test_converter_end_to_end(tmp_path, run_module):
    """check_converter: random official pair -> official reference -> convert (subprocess) -> folded model."""
    r = run_module("check_converter", "--work", tmp_path, "--config", "tiny")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "OK: wrote" in r.stdout
    for name in ("model.safetensors", "x.npy", "z.npy", "expected.npy", "class.txt"):
        assert (tmp_path / name).is_file()


def test_ext2_contents_get_their_own_classes_and_report_groups():
    from kinecolor_training import data as D

    row = {"source": "flowers", "label": "tulip", "content": "flowers"}
    assert D.class_of(row) == "plant" and D.content_of(row) == "flowers"
    assert D.class_of({"source": "food101", "label": "beet_salad", "content": "food"}) == "food"
    assert D.class_of({"source": "sports6", "label": "football", "content": "sport"}) == "sport"
    assert D.class_of({"source": "animals3", "label": "dogs", "content": "animals"}) == "animal"
    assert D.class_of({"source": "carbike", "label": "car", "content": "vehicles"}) == "object"
    # core rows have no content column: the group comes from the source
    assert D.content_of({"source": "pixabay", "label": "man"}) == "face"
    assert D.content_of({"source": "imagenet", "label": "n01440764 tench"}) == "animals"
    assert D.content_of({"source": "imagenet", "label": "n07747607 orange"}) == "objects"
    assert all(D.class_of({"source": "x", "content": c}) in D.CLASS_NAMES for c in D.CONTENT_CLASS)


def test_corpus_without_ext2_still_reads(tmp_path):
    from kinecolor_training import data as D

    fake_corpus(tmp_path)
    (tmp_path / "train/ext2/manifest.csv").unlink()
    assert sorted(D.manifest_hashes(tmp_path)) == ["core", "ext"]
    items = D.read_manifest(tmp_path)
    assert [it[4] for it in items] == ["animals", "face", "scene"]


def test_evaluate_samples_every_content_group_and_keeps_other_reports(tmp_path):
    from kinecolor_training import evaluate as E

    items = [(f"/c/{g}{k}.jpg", 0, "s", f"{g}{k}.jpg", g, "football" if k == 3 else "x")
             for g in ("sport", "face", "food") for k in range(400)]
    hold_all, hold = E.stratified_holdout(items, 4)
    assert len(hold_all) > 12 and all(it[3] for it in hold_all)
    assert sorted({it[4] for it in hold}) == ["face", "food", "sport"]
    assert all(sum(it[4] == g for it in hold) == min(4, sum(h[4] == g for h in hold_all)) for g in ("face", "sport"))
    assert E.stratified_holdout(items, 4)[1] == hold  # fixed order
    md = tmp_path / "quality.md"
    md.write_text("# Old\n\nold table\n\n## Video: keyframes\n\nkept\n")
    E.write_report(str(md), ["# New", "", "new table", ""])
    assert md.read_text() == "# New\n\nnew table\n\n## Video: keyframes\n\nkept\n"


def test_tuning_images_take_every_group_and_none_the_report_uses():
    from kinecolor_training import evaluate as E

    # a large group first: the first images of the rest would all be streets
    items = [(f"/c/{g}{k}.jpg", 0, "s", f"{g}{k}.jpg", g, "x") for g, n in (("street", 6000), ("sport", 600))
             for k in range(n)]
    _, reported = E.stratified_holdout(items, 4)
    tune = E.tuning_images(items, per_group=5, reported_per_group=4)
    assert sorted(it[4] for it in tune) == ["sport"] * 5 + ["street"] * 5
    assert not {it[3] for it in tune} & {it[3] for it in reported}


def test_the_tools_shrink_luma_as_the_engine_does():
    from kinecolor_training import evaluate as E

    # 3 -> 2 columns: a footprint of 1.5 samples, the middle one shared half and half (resizeArea)
    x = torch.tensor([[[[0.0, 3.0, 6.0], [6.0, 9.0, 12.0]]]])
    y = E.shrink(x, (1, 2))
    # row 0: (0 + 1.5) / 1.5 = 1, (1.5 + 6) / 1.5 = 5; row 1: 7, 11; the two rows averaged
    assert torch.allclose(y, torch.tensor([[[[4.0, 8.0]]]]))
    # a flat picture stays flat at any ratio, and an axis that grows still comes out at the size asked
    assert torch.allclose(E.shrink(torch.full((1, 1, 37, 53), 0.25), (16, 23)), torch.tensor(0.25))
    assert E.shrink(torch.rand(1, 1, 20, 50), (32, 16)).shape == (1, 1, 32, 16)


def test_the_tools_fuse_as_the_engine_does():
    from kinecolor_training import evaluate as E
    from kinecolor_training.color import LUMA

    gray = torch.rand(1, 1, 32, 48) * 0.6 + 0.2
    x = E.shrink(gray, (8, 12))
    # No chroma: the picture is the input's gray itself (a CIELAB join, L = 100 gray, would not be)
    assert torch.allclose(E.fuse_like_engine(gray, x, torch.zeros(1, 2, 8, 12)), gray.expand(1, 3, 32, 48), atol=1e-3)
    # With chroma: only Cb/Cr are new; Y' (BT.601 weights) is the full-size input's, pixel for pixel
    ab = torch.zeros(1, 2, 8, 12)
    ab[:, 0], ab[:, 1] = 6.0, -9.0  # a mild blue-magenta that stays inside the RGB cube
    rgb = E.fuse_like_engine(gray, x, ab)
    y = sum(w * rgb[:, k] for k, w in enumerate(LUMA))
    assert torch.allclose(y, gray[:, 0], atol=2e-3)
    assert (rgb[:, 2] - gray[:, 0]).mean() > 0.02 and (rgb[:, 1] - gray[:, 0]).mean() < 0


def test_the_reference_runner_keeps_a_class_with_a_threshold_of_its_own(tmp_path):
    """evaluate's --class auto follows the file's per-class thresholds, as the Swift engine does
    (InferenceDefaultsTests.testAutoClassFallsBackOnlyWhenDoubtful)."""
    from kinecolor_training import evaluate as E
    from kinecolor_training.set_inference import main as set_inference

    out = tmp_path / "m.safetensors"
    set_inference([f"{FIXTURES}/tiny.safetensors", "-o", str(out), "--auto-min-prob", "0.5",
                   "--auto-fallback", "class0", "--auto-min-prob-class", "class2=0.2"])
    runner = E.Runner(str(out))
    logits = lambda p: torch.log(torch.tensor(p + [1e-9] * 7))  # noqa: E731
    assert runner.auto_class(logits([0.3, 0.3, 0.4])) == 2  # class2 kept at 0.4
    assert runner.auto_class(logits([0.3, 0.4, 0.3])) == 0  # class1 needs 0.5
    assert runner.auto_class(logits([0.2, 0.6, 0.2])) == 1
