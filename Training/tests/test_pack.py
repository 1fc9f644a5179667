"""pack: the training images in one file; packed: its crops and film look as batched tensor operations;
train --pack: a run from the file alone."""

import io
import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from PIL import Image  # noqa: E402

from corpus_helpers import tiny_corpus  # noqa: E402
from kinecolor_training import data as D  # noqa: E402
from kinecolor_training import pack as P  # noqa: E402
from kinecolor_training import packed as K  # noqa: E402


@pytest.fixture
def corpus_and_pack(tmp_path, run_module):
    tiny_corpus(tmp_path / "corpus")
    out = tmp_path / "pack.npz"
    r = run_module("pack", "--data", tmp_path / "corpus", "-o", out, "--side", "64", "--workers", "1")
    assert r.returncode == 0, r.stderr
    return tmp_path / "corpus", out


def test_the_pack_holds_every_training_image_and_no_hold_out_image(corpus_and_pack):
    corpus, out = corpus_and_pack
    blob, offsets, classes, contents, files, meta = P.read(out)
    train = [it for it in D.read_manifest(corpus) if not D.is_holdout(it[3])]
    assert files == [it[3] for it in train] and len(train) < 60
    assert list(classes) == [it[1] for it in train] and contents == [it[4] for it in train]
    assert meta["count"] == len(train) and meta["side"] == 64
    assert meta["corpus_manifests_sha256"] == D.manifest_hashes(corpus)
    # a sport picture is green with white lines, a food picture warm: the right picture under each name
    for i, name in enumerate(files):
        img = P.decode(blob[offsets[i]:offsets[i + 1]].tobytes()).astype(float)
        assert img.shape == (64, 64, 3)
        r, g, b = img.mean((0, 1))
        assert (g > r + 30) if name.startswith("pics/sport") else (r > b + 60), name


def test_refuses_to_replace_a_file_or_to_go_over_its_size(corpus_and_pack, run_module):
    corpus, out = corpus_and_pack
    before = out.read_bytes()
    r = run_module("pack", "--data", corpus, "-o", out, "--workers", "1")
    assert r.returncode != 0 and "exists" in r.stderr and "Traceback" not in r.stderr
    r = run_module("pack", "--data", corpus, "-o", out, "-y", "--max-mib", "0.001", "--workers", "1")
    assert r.returncode != 0 and "--max-mib" in r.stderr and "Traceback" not in r.stderr
    assert out.read_bytes() == before


def test_a_whole_square_crop_is_the_picture_and_its_mirror(corpus_and_pack):
    _, out = corpus_and_pack
    ds = K.PackedDataset(out, "cpu", workers=1, log=None)
    ds.crop_boxes = lambda n, rnd: (torch.tensor([[0.0, 0.0, 64.0, 64.0]] * n), torch.tensor([False, True]))
    crops = ds.crops([0, 0], 64, random.Random(0))
    picture = ds.images[0].permute(2, 0, 1).float() / 255
    assert torch.allclose(crops[0], picture, atol=1e-5)
    assert torch.allclose(crops[1], picture.flip(-1), atol=1e-5)


def test_a_batch_has_the_classes_and_sizes_asked_for(corpus_and_pack):
    _, out = corpus_and_pack
    ds = K.PackedDataset(out, "cpu", workers=1, log=None)
    color, cls = ds.batch(6, 48, random.Random(1), indices=[0, 1, 2, 3, 4, 5])
    assert color.shape == (6, 3, 48, 48) and 0 <= float(color.min()) and float(color.max()) <= 1
    assert cls.tolist() == ds.classes[:6].tolist()


def test_the_jpeg_of_a_gray_picture_is_libjpegs():
    rng = np.random.default_rng(0)
    smooth = np.kron(rng.uniform(0, 1, (8, 8)), np.ones((8, 8)))
    gray = np.clip(smooth + rng.normal(0, 0.08, smooth.shape), 0, 1)
    a = np.round(gray * 255).astype(np.uint8)
    for quality in (30, 75):
        buf = io.BytesIO()
        Image.fromarray(a, "L").save(buf, "JPEG", quality=quality)
        ref = np.asarray(Image.open(io.BytesIO(buf.getvalue())), dtype=np.float32) / 255
        ours = K.jpeg(torch.from_numpy(a.astype(np.float32) / 255)[None, None], torch.tensor([quality]))[0, 0].numpy()
        err = np.abs(ours - ref).mean()
        assert err < 1.0 / 255, (quality, err)  # the same picture, up to the DCT's rounding
        assert np.abs(ours - a / 255).mean() > 2 * err  # and JPEG did change it


def test_the_film_look_has_data_degrades_shares():
    color = torch.rand(400, 3, 32, 32)
    gen = torch.Generator().manual_seed(0)
    gray = K.degrade(color, gen)
    assert gray.shape == (400, 1, 32, 32) and float(gray.min()) >= 0 and float(gray.max()) <= 1
    # an image left clean is an exact channel mix: each pixel a convex combination of its r, g, b
    lo, hi = color.min(1, keepdim=True).values, color.max(1, keepdim=True).values
    inside = ((gray >= lo - 1e-6) & (gray <= hi + 1e-6)).flatten(1).all(1)
    assert 0.17 < float(inside.float().mean()) < 0.45  # data.degrade: 25 % clean, a few more by chance
    assert torch.equal(K.degrade(color, torch.Generator().manual_seed(0)), gray)  # seeded


def test_train_runs_from_a_pack_and_says_so_in_its_recipe(corpus_and_pack, tmp_path, run_module):
    _, out = corpus_and_pack
    r = run_module("train", "--pack", out, "--out", tmp_path / "run", "--minutes", "0.02",
                   "--precision", "fp32", "--threads", "1", "--batch-scale", "2")
    assert r.returncode == 0, r.stderr
    ck = torch.load(tmp_path / "run" / "ckpt.pt", weights_only=False)
    assert ck["finished"] and ck["step"] >= 1 and ck["recipe"]["batch"] == 32
    assert ck["pack"]["file"] == "pack.npz" and ck["device"] == "cpu"
    from kinecolor_training.export import recipe_summary
    assert "from the pack pack.npz" in recipe_summary(ck)
    # the small record of the finished run exports as the checkpoint does
    final = torch.load(tmp_path / "run" / "final.pt", weights_only=False)
    assert "opt_g" not in final and "model" not in final and final["step"] == ck["step"]
    r = run_module("export", tmp_path / "run" / "final.pt", "-o", tmp_path / "m.safetensors",
                   "--data", tmp_path / "corpus")
    assert r.returncode == 0, r.stderr


def test_train_refuses_both_sources_or_a_gpu_without_a_pack(tmp_path, run_module):
    r = run_module("train", "--data", tmp_path, "--pack", tmp_path / "p.npz", "--out", tmp_path / "run")
    assert r.returncode == 2 and "--data" in r.stderr and "Traceback" not in r.stderr
    r = run_module("train", "--data", tmp_path, "--device", "cuda", "--out", tmp_path / "run")
    assert r.returncode == 2 and "needs --pack" in r.stderr
    r = run_module("train", "--pack", tmp_path / "p.npz", "--limit", "5", "--out", tmp_path / "run")
    assert r.returncode == 2 and "--limit" in r.stderr
    r = run_module("train", "--pack", tmp_path / "missing.npz", "--out", tmp_path / "run")
    assert r.returncode == 2 and "missing.npz" in r.stderr and "Traceback" not in r.stderr


class Stub:
    """A random source that always draws the low end: every portrait gets a scene, its face in the corner."""

    def random(self):
        return 0.0

    def uniform(self, lo, hi):
        return lo

    def randint(self, lo, hi):
        return lo

    def randrange(self, n):
        return 0


def test_a_portrait_is_pasted_small_onto_a_scene(corpus_and_pack):
    _, out = corpus_and_pack
    ds = K.PackedDataset(out, "cpu", workers=1, log=None)
    _, _, _, contents, _, _ = P.read(out)
    face = contents.index("food")  # warm: stands for the portrait
    ds.classes[:] = D.CLASS_INDEX["street"]  # green sport pictures: the scenes
    ds.classes[face] = D.CLASS_INDEX["portrait"]
    ds.backgrounds = np.flatnonzero(ds.classes == D.CLASS_INDEX["street"])
    color, _ = ds.batch(1, 40, Stub(), indices=[face])
    s = int(40 * 0.3)
    r, g, _ = color[0, :, :s, :s].mean((1, 2))
    assert r > g + 0.2  # the face, in the corner
    r, g, _ = color[0, :, s:, :].mean((1, 2))
    assert g > r + 0.1  # the scene around it
