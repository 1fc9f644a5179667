"""A corpus of 60 pictures in train/ext2 for the tools that read one (their tests need PyTorch and Pillow,
Training/pyproject.toml's torch extra, and skip without it before they import this)."""

import numpy as np
from PIL import Image

from kinecolor_training import data as D


def tiny_corpus(root):
    """train/ext2 with 'food' (warm, smooth) and 'sport' (green, striped) pictures, some of them in the
    fixed hold-out."""
    folder = root / "train" / "ext2" / "pics"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows, held = [], 0
    for k in range(60):
        content = ("food", "sport")[k % 2]
        name = f"pics/{content}_{k}.jpg"
        img = np.zeros((96, 128, 3), np.float32)
        if content == "food":
            img[:] = (200, 120, 60)
            img += rng.normal(0, 10, (96, 128, 3))
        else:
            img[:] = (60, 150, 60)
            img[::8] = 250  # lines on a pitch
        Image.fromarray(img.clip(0, 255).astype(np.uint8)).save(root / "train" / "ext2" / name)
        rows.append(f"{name},test,,{content},cc0")
        held += D.is_holdout(name)
    assert 0 < held < 60
    (root / "train" / "ext2" / "manifest.csv").write_text("file,source,label,content,license\n" + "\n".join(rows) + "\n")
