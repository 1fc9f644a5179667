"""Training data for Kinecolor's default model: corpus manifests, the class vocabulary,
the fixed 5 % hold-out, and film-like degradations of the gray input.

The ground truth is always the original color crop; only the network input is degraded.
"""

import csv
import hashlib
import io
import math
import os
import random

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .color import LUMA, lab2rgb, rgb2lab  # noqa: F401 (LUMA, lab2rgb: part of this module's API)

# --------------------------------------------------------------------------
# Class vocabulary (documented in Training/README.md)

CLASS_NAMES = ["general", "portrait", "people", "street", "interior", "landscape", "animal", "object",
               "plant", "food", "sport"]
GENERAL = 0
CLASS_INDEX = {n: i for i, n in enumerate(CLASS_NAMES)}

# ImageNet-1k indices 0..397 are animals; n02666196 (abacus) is index 398, the first object.
IMAGENET_FIRST_OBJECT = "n02666196"

_INDOOR_WORDS = ("indoor", "interior", "store", "restaurant", "cockpit", "subway", "chamber", "brewery",
                 "hostel", "cavern")
_STREET_WORDS = ("street", "skyscraper", "building", "highway", "village", "medina", "bridge", "phone_booth",
                 "warehouse", "house", "inn_", "chalet", "abbey", "monastery", "mosque", "pagoda", "temple",
                 "ruin", "raceway", "stadium", "baseball", "refinery", "viaduct", "aqueduct", "barn",
                 "lighthouse", "train", "boardwalk", "fountain", "canal_urban", "dam", "youth", "wind_farm")

CONTENT_CLASS = {
    "face": "portrait",
    "people_street": "people",
    "people_scene": "people",
    "street_city": "street",
    "house_exterior": "street",
    "interior": "interior",
    "landscape": "landscape",
    # train/ext2 (v3): the contents behind gray-brown grass, pink foliage and colorless food
    "flowers": "plant",
    "food": "food",
    "sport": "sport",
    "animals": "animal",
    "vehicles": "object",
}

# Every content group content_of can return (the manifests' `content` values and the core sources' groups).
CONTENT_GROUPS = ("animals", "face", "flowers", "food", "house_exterior", "interior", "landscape", "mixed",
                  "objects", "people_scene", "people_street", "scene", "sport", "street_city", "vehicles")

# Corpus parts, in the order their manifests are hashed; a missing part (an older corpus) is skipped.
CORPUS_PARTS = ("core", "ext", "ext2")


def class_of(row):
    """Class name of one manifest row (core, ext or ext2)."""
    src, label, content = row["source"], row.get("label", ""), row.get("content", "")
    if content in CONTENT_CLASS:
        return CONTENT_CLASS[content]
    if src == "pixabay":
        return "portrait"
    if src == "imagenet":
        return "animal" if label.split()[0] < IMAGENET_FIRST_OBJECT else "object"
    if src == "urban100":
        return "street"
    if src == "sunhays":
        if any(w in label for w in _INDOOR_WORDS):
            return "interior"
        if any(w in label for w in _STREET_WORDS):
            return "street"
        return "landscape"
    return "general"  # bsds500, wikimedia, wallpaper: mixed content, no label


def content_of(row):
    """Content group of one manifest row, for per-group quality reports: the manifest's `content`
    column where it has one (ext, ext2), else what the source holds."""
    if row.get("content"):
        return row["content"]
    src = row["source"]
    if src == "pixabay":
        return "face"
    if src == "imagenet":
        return "animals" if row.get("label", "").split()[0] < IMAGENET_FIRST_OBJECT else "objects"
    if src in ("urban100",):
        return "street_city"
    if src == "sunhays":
        return "scene"
    return "mixed"


def is_holdout(file_name):
    """Fixed 5 % validation split by the SHA-256 of the file name."""
    return int(hashlib.sha256(file_name.encode()).hexdigest()[:8], 16) % 100 < 5


def corpus_parts(root):
    return [p for p in CORPUS_PARTS if os.path.exists(os.path.join(root, "train", p, "manifest.csv"))]


def read_manifest(root):
    """[(path, class_index, source, file, content group, label)] for every part of train/."""
    items = []
    for part in corpus_parts(root):
        with open(os.path.join(root, "train", part, "manifest.csv"), newline="") as f:
            for row in csv.DictReader(f):
                path = os.path.join(root, "train", part, row["file"])
                items.append((path, CLASS_INDEX[class_of(row)], row["source"], row["file"], content_of(row),
                              row.get("label", "")))
    return items


def manifest_hashes(root):
    """{part: SHA-256 of its manifest.csv}, for the model file's metadata."""
    out = {}
    for part in corpus_parts(root):
        with open(os.path.join(root, "train", part, "manifest.csv"), "rb") as f:
            out[part] = hashlib.sha256(f.read()).hexdigest()
    return out


def corpus_hash(root):
    """One hash over the manifests of every part, in CORPUS_PARTS order."""
    h = hashlib.sha256()
    for part in corpus_parts(root):
        with open(os.path.join(root, "train", part, "manifest.csv"), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def load_rgb(path):
    img = Image.open(path)
    img.load()
    return img.convert("RGB")


# --------------------------------------------------------------------------
# Fusion (the color conversions are color.py's)

def fuse(gray, rgb):
    """Official fusion (Docs/bigcolor-architecture.md §8, step 8): L = 100*gray, ab from rgb.
    gray [N,1,H,W], rgb [N,3,H,W] same size."""
    ab = rgb2lab(rgb)[:, 1:]
    return lab2rgb(torch.cat([100 * gray, ab], 1))


# --------------------------------------------------------------------------
# Sampling and degradations

def draw_weights(classes, contents, boost):
    """Relative probability of drawing each training image: count^-0.5 of its class, so that small
    classes are seen more often without repeating them as often as full balancing would, times
    boost[content group] (1 for groups not named)."""
    counts = {}
    for c in classes:
        counts[int(c)] = counts.get(int(c), 0) + 1
    return [counts[int(c)] ** -0.5 * boost.get(g, 1.0) for c, g in zip(classes, contents)]


def crop_box(w, h, rnd, scale=(0.35, 1.0)):
    """(x0, y0, width, height) of a random-resized crop of a w x h picture: an area fraction in `scale`,
    an aspect from 3/4 to 4/3, the whole short side's square if ten draws do not fit."""
    for _ in range(10):
        area = w * h * rnd.uniform(*scale)
        ar = math.exp(rnd.uniform(math.log(3 / 4), math.log(4 / 3)))
        cw, ch = int(round(math.sqrt(area * ar))), int(round(math.sqrt(area / ar)))
        if cw <= w and ch <= h:
            break
    else:
        cw = ch = min(w, h)
    return rnd.randint(0, w - cw), rnd.randint(0, h - ch), cw, ch


class FilmDataset:
    """Decoded training images in RAM plus the crop / composite / degradation pipeline."""

    def __init__(self, root, split="train", limit=None, seed=0, log=print):
        items = read_manifest(root)
        items = [it for it in items if is_holdout(it[3]) == (split == "val")]
        if limit:
            rnd = random.Random(seed)
            rnd.shuffle(items)
            items = items[:limit]
        self.items = items
        self.images = []
        for k, (path, *_rest) in enumerate(items):
            self.images.append(load_rgb(path))
            if log and k % 4000 == 3999:
                log(f"loaded {k + 1}/{len(items)} images")
        self.classes = np.array([it[1] for it in items])
        self.contents = [it[4] for it in items]
        self.portraits = np.flatnonzero(self.classes == CLASS_INDEX["portrait"])
        self.backgrounds = np.flatnonzero(np.isin(self.classes, [CLASS_INDEX["street"], CLASS_INDEX["people"],
                                                                 CLASS_INDEX["interior"], CLASS_INDEX["landscape"]]))

    def __len__(self):
        return len(self.items)

    @staticmethod
    def random_crop(img, size, rnd, scale=(0.35, 1.0)):
        """Random-resized crop (area fraction in `scale`, aspect 3/4..4/3) to size x size, random flip."""
        x0, y0, cw, ch = crop_box(*img.size, rnd, scale)
        out = img.resize((size, size), Image.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch), reducing_gap=None)
        if rnd.random() < 0.5:
            out = out.transpose(Image.FLIP_LEFT_RIGHT)
        return out

    def sample(self, idx, size, rnd):
        """(color uint8 array HxWx3, class index)."""
        cls = int(self.classes[idx])
        img = self.random_crop(self.images[idx], size, rnd)
        if cls == CLASS_INDEX["portrait"] and len(self.backgrounds) and rnd.random() < 0.3:
            # Small face inside a larger frame: paste the portrait, downscaled, onto a scene.
            bg = self.random_crop(self.images[self.backgrounds[rnd.randrange(len(self.backgrounds))]], size, rnd)
            s = int(size * rnd.uniform(0.3, 0.65))
            face = img.resize((s, s), Image.BILINEAR)
            bg.paste(face, (rnd.randint(0, size - s), rnd.randint(0, size - s)))
            img = bg
        return np.asarray(img), cls

    def batch(self, n, size, rnd, indices=None):
        if indices is None:
            indices = [rnd.randrange(len(self)) for _ in range(n)]
        arrs, cls = zip(*(self.sample(i, size, rnd) for i in indices))
        color = torch.from_numpy(np.stack(arrs)).permute(0, 3, 1, 2).float() / 255
        return color, torch.tensor(cls, dtype=torch.long)


def channel_mix(color, rnd):
    """Per-image panchromatic / orthochromatic gray from color [N,3,H,W] in [0,1]."""
    n = color.shape[0]
    w = torch.empty(n, 3)
    for k in range(n):
        r = rnd.random()
        if r < 0.55:
            base = LUMA
            jit = 0.0 if r < 0.35 else 0.06
        elif r < 0.8:
            base, jit = (0.35, 0.5, 0.15), 0.08  # red-sensitive panchromatic
        else:
            base, jit = (0.05, 0.45, 0.5), 0.08  # orthochromatic: red renders dark
        v = [max(0.0, b + rnd.uniform(-jit, jit)) for b in base]
        s = sum(v)
        w[k] = torch.tensor([x / s for x in v])
    return (color * w.view(n, 3, 1, 1)).sum(1, keepdim=True)


def _gauss_kernel(sigma):
    r = max(1, int(math.ceil(2.5 * sigma)))
    x = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-x ** 2 / (2 * sigma ** 2))
    return k / k.sum()


def blur(img, sigma):
    if sigma < 0.3:
        return img
    k = _gauss_kernel(sigma)
    r = (len(k) - 1) // 2
    img = F.conv2d(F.pad(img, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(img, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))


def jpeg(gray, quality):
    a = (gray[0].clamp(0, 1) * 255 + 0.5).byte().numpy()
    buf = io.BytesIO()
    Image.fromarray(a, "L").save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return torch.from_numpy(np.asarray(Image.open(buf), dtype=np.float32) / 255)[None]


def degrade(color, rnd, strength=1.0):
    """Film-like gray input [N,1,H,W] in [0,1] from color [N,3,H,W] in [0,1].
    About a quarter of the images stay the clean luma (the product's input for clean footage)."""
    gray = channel_mix(color, rnd)
    out = []
    for k in range(gray.shape[0]):
        g = gray[k:k + 1]
        if rnd.random() < 0.25 * strength + (1 - strength):
            out.append(g)
            continue
        if rnd.random() < 0.4:
            g = blur(g, rnd.uniform(0.4, 1.3))
        if rnd.random() < 0.7:  # tone curve: gamma, contrast, brightness flicker
            gamma = math.exp(rnd.uniform(-0.35, 0.35))
            contrast = rnd.uniform(0.75, 1.3)
            bright = rnd.uniform(-0.08, 0.08)
            g = ((g.clamp(0, 1) ** gamma - 0.5) * contrast + 0.5 + bright)
            if rnd.random() < 0.3:  # vignetting / uneven exposure
                h, w = g.shape[-2:]
                yy, xx = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
                g = g * (1 - rnd.uniform(0, 0.35) * (xx ** 2 + yy ** 2) / 2)
            g = g.clamp(0, 1)
        if rnd.random() < 0.6:  # grain: luminance-dependent, slightly clumped
            sigma = rnd.uniform(0.01, 0.06)
            noise = torch.randn_like(g)
            if rnd.random() < 0.5:
                noise = blur(noise, rnd.uniform(0.5, 1.0)) * 1.8
            g = (g + sigma * noise * (0.5 + g * (1 - g) * 2)).clamp(0, 1)
        if rnd.random() < 0.3:
            g = jpeg(g[0], rnd.randint(25, 85))[None]
        out.append(g)
    return torch.cat(out, 0)
