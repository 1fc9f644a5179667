"""A pack's training images (kinecolor_training.pack) on one device, with FilmDataset's crops and
`data.degrade`'s film look as batched tensor operations there: on a GPU, PIL's per-image crops and
the per-image degradation loop would leave it waiting (`train --pack`).

The draws follow FilmDataset.random_crop / sample and data.degrade: the same shares, ranges and
order of operations, drawn per image from a torch generator on the device rather than from Python's
random. JPEG is done as JPEG does it on a gray picture: 8×8 DCT blocks quantized by the IJG luminance
table scaled to the quality (no entropy coding, which loses nothing). The crops are bilinear from a
square of the pack's side (FilmDataset: from the whole decoded image).
"""

import math
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import torch
import torch.nn.functional as F

from . import data as D
from . import pack as P

# IJG's luminance quantization table (ITU-T T.81, Annex K), row-major.
JPEG_LUMA = torch.tensor([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], dtype=torch.float32).view(8, 8)


def dct_matrix(n=8):
    """Orthonormal DCT-II matrix [n, n]: block' = M block Mᵀ."""
    k = torch.arange(n, dtype=torch.float32)[:, None]
    x = torch.arange(n, dtype=torch.float32)[None]
    m = torch.cos(math.pi * (2 * x + 1) * k / (2 * n)) * math.sqrt(2 / n)
    m[0] /= math.sqrt(2)
    return m


class PackedDataset:
    """The pack's images as one uint8 tensor [N, side, side, 3] on `device`."""

    def __init__(self, path, device="cpu", workers=None, log=print):
        blob, offsets, classes, contents, files, meta = P.read(path)
        views = [blob[offsets[i]:offsets[i + 1]].tobytes() for i in range(len(offsets) - 1)]
        with ProcessPoolExecutor(workers) as pool:
            arrays = list(pool.map(P.decode, views, chunksize=256))
        self.images = torch.from_numpy(np.stack(arrays)).to(device)
        self.device = torch.device(device)
        self.side = int(meta["side"])
        self.meta = meta
        self.classes = classes.astype(np.int64)
        self.contents = contents
        self.files = files
        self.portraits = np.flatnonzero(self.classes == D.CLASS_INDEX["portrait"])
        self.backgrounds = np.flatnonzero(np.isin(self.classes, [D.CLASS_INDEX[c] for c in
                                                                 ("street", "people", "interior", "landscape")]))
        if log:
            log(f"pack {path}: {len(self)} images, {self.side} px, on {self.device}")

    def __len__(self):
        return len(self.classes)

    def crop_boxes(self, n, rnd, scale=(0.35, 1.0)):
        """[n, 4] (x0, y0, w, h) in pixels of the square, and [n] flips, as FilmDataset.random_crop draws them."""
        boxes, flips = [], []
        for _ in range(n):
            boxes.append(D.crop_box(self.side, self.side, rnd, scale))
            flips.append(rnd.random() < 0.5)
        return torch.tensor(boxes, dtype=torch.float32), torch.tensor(flips)

    def crops(self, indices, size, rnd):
        """Random-resized crops [n, 3, size, size] in [0, 1] of the images `indices`."""
        img = self.images[torch.as_tensor(indices, device=self.device)].permute(0, 3, 1, 2).float() / 255
        boxes, flips = self.crop_boxes(len(indices), rnd)
        s = self.side
        # grid_sample's normalized coordinates (align_corners=False): -1 and 1 are the square's outer edges
        cx = (boxes[:, 0] + boxes[:, 2] / 2) / s * 2 - 1
        cy = (boxes[:, 1] + boxes[:, 3] / 2) / s * 2 - 1
        sx = boxes[:, 2] / s * torch.where(flips, -1.0, 1.0)
        theta = torch.zeros(len(indices), 2, 3)
        theta[:, 0, 0], theta[:, 0, 2], theta[:, 1, 1], theta[:, 1, 2] = sx, cx, boxes[:, 3] / s, cy
        grid = F.affine_grid(theta.to(self.device), [len(indices), 3, size, size], align_corners=False)
        return F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=False)

    def batch(self, n, size, rnd, indices=None):
        """(color [n, 3, size, size] in [0, 1], class [n]) on the device, as FilmDataset.batch."""
        if indices is None:
            indices = [rnd.randrange(len(self)) for _ in range(n)]
        color = self.crops(indices, size, rnd)
        for k, i in enumerate(indices):
            # a small face inside a larger frame: the portrait, downscaled, pasted onto a scene
            if self.classes[i] == D.CLASS_INDEX["portrait"] and len(self.backgrounds) and rnd.random() < 0.3:
                bg = self.crops([int(self.backgrounds[rnd.randrange(len(self.backgrounds))])], size, rnd)[0]
                s = int(size * rnd.uniform(0.3, 0.65))
                face = F.interpolate(color[k:k + 1], size=(s, s), mode="bilinear", antialias=True,
                                     align_corners=False)[0]
                x0, y0 = rnd.randint(0, size - s), rnd.randint(0, size - s)
                bg[:, y0:y0 + s, x0:x0 + s] = face
                color[k] = bg
        cls = torch.as_tensor(self.classes[list(indices)], device=self.device)
        return color, cls


def _u(n, gen, lo=0.0, hi=1.0):
    return lo + (hi - lo) * torch.rand(n, generator=gen, device=gen.device)


def channel_mix(color, gen):
    """data.channel_mix's panchromatic / orthochromatic grays, drawn per image on the device."""
    n = color.shape[0]
    r = _u(n, gen)
    bases = torch.tensor([D.LUMA, (0.35, 0.5, 0.15), (0.05, 0.45, 0.5)], device=color.device)
    kind = (r >= 0.55).long() + (r >= 0.8).long()
    jitter = torch.where(r < 0.35, 0.0, torch.where(r < 0.55, 0.06, 0.08))
    w = (bases[kind] + jitter[:, None] * (2 * torch.rand(n, 3, generator=gen, device=gen.device) - 1)).clamp(min=0)
    w = w / w.sum(1, keepdim=True)
    return (color * w.view(n, 3, 1, 1)).sum(1, keepdim=True)


def blur(img, sigma):
    """Separable Gaussian blur of img [n, 1, H, W], each image with its own sigma [n] (0.3 or more)."""
    n = img.shape[0]
    r = max(1, int(math.ceil(2.5 * float(sigma.max()))))
    x = torch.arange(-r, r + 1, dtype=torch.float32, device=img.device)
    k = torch.exp(-x[None] ** 2 / (2 * sigma[:, None] ** 2))
    k = k / k.sum(1, keepdim=True)
    g = img.transpose(0, 1)  # [1, n, H, W]: one group per image
    g = F.conv2d(F.pad(g, (r, r, 0, 0), mode="replicate"), k.view(n, 1, 1, -1), groups=n)
    g = F.conv2d(F.pad(g, (0, 0, r, r), mode="replicate"), k.view(n, 1, -1, 1), groups=n)
    return g.transpose(0, 1)


def jpeg(gray, quality):
    """gray [n, 1, H, W] in [0, 1] (H, W multiples of 8) through baseline JPEG's luma path at `quality` [n]."""
    n, _, h, w = gray.shape
    q = quality.float()
    scale = torch.where(q < 50, 5000 / q, 200 - 2 * q)
    table = ((JPEG_LUMA.to(gray.device)[None] * scale.view(n, 1, 1) + 50) / 100).floor().clamp(1, 255)
    m = dct_matrix().to(gray.device)
    blocks = (gray * 255 - 128).view(n, h // 8, 8, w // 8, 8).permute(0, 1, 3, 2, 4)  # [n, by, bx, 8, 8]
    coef = m @ blocks @ m.T
    t = table.view(n, 1, 1, 8, 8)
    back = m.T @ (torch.round(coef / t) * t) @ m
    out = (back.permute(0, 1, 3, 2, 4).reshape(n, 1, h, w) + 128).round().clamp(0, 255) / 255
    return out


def degrade(color, gen, strength=1.0):
    """data.degrade for a batch on its device: film-like gray [n, 1, H, W] in [0, 1] from color [n, 3, H, W]."""
    n, dev = color.shape[0], color.device
    mixed = channel_mix(color, gen)
    col = lambda v: v.view(n, 1, 1, 1)  # noqa: E731
    clean = _u(n, gen) < 0.25 * strength + (1 - strength)
    g = mixed
    blurred = _u(n, gen) < 0.4
    g = torch.where(col(blurred), blur(g, _u(n, gen, 0.4, 1.3)), g)
    tone = _u(n, gen) < 0.7
    gamma, contrast, bright = torch.exp(_u(n, gen, -0.35, 0.35)), _u(n, gen, 0.75, 1.3), _u(n, gen, -0.08, 0.08)
    toned = (g.clamp(0, 1) ** col(gamma) - 0.5) * col(contrast) + 0.5 + col(bright)
    h, w = g.shape[-2:]
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, h, device=dev), torch.linspace(-1, 1, w, device=dev), indexing="ij")
    vignette = (tone & (_u(n, gen) < 0.3)).float() * _u(n, gen, 0, 0.35)
    toned = toned * (1 - col(vignette) * (xx ** 2 + yy ** 2) / 2)
    g = torch.where(col(tone), toned.clamp(0, 1), g)
    grain = _u(n, gen) < 0.6
    sigma = _u(n, gen, 0.01, 0.06)
    noise = torch.randn(g.shape, generator=gen, device=dev)
    clumped = _u(n, gen) < 0.5
    noise = torch.where(col(clumped), blur(noise, _u(n, gen, 0.5, 1.0)) * 1.8, noise)
    g = torch.where(col(grain), (g + col(sigma) * noise * (0.5 + g * (1 - g) * 2)).clamp(0, 1), g)
    jpg = _u(n, gen) < 0.3
    quality = torch.randint(25, 86, (n,), generator=gen, device=dev)
    if h % 8 == 0 and w % 8 == 0:
        g = torch.where(col(jpg), jpeg(g, quality), g)
    return torch.where(col(clean), mixed, g)
