"""sRGB <-> CIELAB and CIEDE2000: the one implementation every tool here uses.

The conversions are BigColor's (Docs/bigcolor-architecture.md §8.1 and §8.2, kornia-derived: D65,
2° observer, the constants and clamps as published), which Kinecolor's engine also uses
(Sources/Model/Processing/Lab.swift), so that metrics and training losses see the colors the product
makes. One formula serves two kinds of arrays:

* numpy, channels last [..., 3], float64: `srgb_to_lab`, `lab_to_srgb` (metrics, video tools);
* torch, channels first [N, 3, H, W], float32 and differentiable: `rgb2lab`, `lab2rgb` (training,
  evaluation). The clamps inside the branches not taken keep the gradients finite.

`ciede2000` is the CIEDE2000 colour difference (Sharma, Wu and Dalal 2005) on numpy Lab arrays.
"""

import numpy as np

# Linear sRGB -> XYZ (§8.1) and XYZ -> linear sRGB (§8.2). M_INV is not the exact inverse of M;
# both are kept as published because the official fusion uses them.
M = ((0.412453, 0.357580, 0.180423),
     (0.212671, 0.715160, 0.072169),
     (0.019334, 0.119193, 0.950227))
M_INV = ((3.2404813432005266, -1.5371515162713185, -0.4985363261688878),
         (-0.9692549499965682, 1.8759900014898907, 0.0415559265582928),
         (0.0556466391351772, -0.2040413383665112, 1.0573110696453443))
WHITE = (0.95047, 1.0, 1.08883)  # D65
# Gray from RGB as the official code makes its network input (§8, step 2).
LUMA = (0.2989, 0.587, 0.114)


class _NumpyOps:
    where = staticmethod(np.where)
    maximum = staticmethod(np.maximum)

    @staticmethod
    def stack(planes):
        return np.stack(planes, axis=-1)

    @staticmethod
    def clip01(x):
        return np.clip(x, 0.0, 1.0)

    @staticmethod
    def const(values, like):
        return np.asarray(values, dtype=like.dtype)


class _TorchOps:
    def __init__(self):
        import torch
        self.torch = torch

    def where(self, cond, a, b):
        return self.torch.where(cond, a, b)

    def maximum(self, x, value):
        return x.clamp_min(value)

    def stack(self, planes):
        return self.torch.stack(planes, -1)

    def clip01(self, x):
        return x.clamp(0, 1)

    def const(self, values, like):
        return self.torch.tensor(values, dtype=like.dtype, device=like.device)


_NUMPY = _NumpyOps()
_TORCH = None


def _torch_ops():
    global _TORCH
    if _TORCH is None:
        _TORCH = _TorchOps()
    return _TORCH


def _to_lab(rgb, ops):
    """sRGB in [0, 1] (clamped), channels last -> CIELAB, channels last (§8.1)."""
    rgb = ops.clip01(rgb)
    lin = ops.where(rgb > 0.04045, ops.maximum((rgb + 0.055) / 1.055, 1e-6) ** 2.4, rgb / 12.92)
    xyz = (lin @ ops.const(M, lin).T) / ops.const(WHITE, lin)
    f = ops.where(xyz > 0.008856, ops.maximum(xyz, 0.008856) ** (1 / 3), 7.787 * xyz + 4 / 29)
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    return ops.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)])


def _from_lab(lab, ops):
    """CIELAB, channels last -> sRGB clamped to [0, 1], channels last (§8.2, clip = True)."""
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    fy = (L + 16) / 116
    fx = a / 500 + fy
    fz = ops.maximum(fy - b / 200, 0.0)  # only Z is clamped, as in the official code
    f = ops.stack([fx, fy, fz])
    t = ops.where(f > 0.2068966, f ** 3, (f - 4 / 29) / 7.787)
    xyz = t * ops.const(WHITE, t)
    lin = xyz @ ops.const(M_INV, xyz).T
    v = ops.where(lin > 0.0031308, 1.055 * ops.maximum(lin, 0.0031308) ** (1 / 2.4) - 0.055, 12.92 * lin)
    return ops.clip01(v)


# ---------------------------------------------------------------- numpy, channels last

def srgb_to_lab(rgb):
    """sRGB [..., 3] -> CIELAB float64 [..., 3]. uint8 input is 0..255, anything else 0..1."""
    rgb = np.asarray(rgb)
    c = rgb.astype(np.float64) / 255.0 if rgb.dtype == np.uint8 else rgb.astype(np.float64)
    return _to_lab(c, _NUMPY)


def lab_to_srgb(lab):
    """CIELAB [..., 3] -> sRGB float64 [..., 3] in [0, 1]."""
    return _from_lab(np.asarray(lab, dtype=np.float64), _NUMPY)


# ---------------------------------------------------------------- torch, channels first

def rgb2lab(rgb):
    """rgb [N,3,H,W] in [0,1] -> Lab [N,3,H,W] (L 0..100), float32, differentiable."""
    return _to_lab(rgb.float().movedim(1, -1), _torch_ops()).movedim(-1, 1)


def lab2rgb(lab):
    """Lab [N,3,H,W] -> sRGB [N,3,H,W] in [0,1], differentiable."""
    return _from_lab(lab.movedim(1, -1), _torch_ops()).movedim(-1, 1)


# ---------------------------------------------------------------- colour difference

def ciede2000(lab1, lab2):
    """CIEDE2000 colour difference (kL = kC = kH = 1), elementwise over Lab arrays [..., 3] (float64)."""
    L1, a1, b1 = np.moveaxis(np.asarray(lab1, dtype=np.float64), -1, 0)
    L2, a2, b2 = np.moveaxis(np.asarray(lab2, dtype=np.float64), -1, 0)
    C1, C2 = np.hypot(a1, b1), np.hypot(a2, b2)
    Cbar7 = ((C1 + C2) / 2) ** 7
    G = 0.5 * (1 - np.sqrt(Cbar7 / (Cbar7 + 25.0 ** 7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1p, C2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360

    dLp = L2 - L1
    dCp = C2p - C1p
    zero = C1p * C2p == 0
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(zero, 0.0, dh)
    dHp = 2 * np.sqrt(C1p * C2p) * np.sin(np.radians(dh) / 2)

    Lbarp = (L1 + L2) / 2
    Cbarp = (C1p + C2p) / 2
    hsum = h1p + h2p
    hbarp = np.where(np.abs(h1p - h2p) <= 180, hsum / 2,
                     np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2))
    hbarp = np.where(zero, hsum, hbarp)
    T = (1 - 0.17 * np.cos(np.radians(hbarp - 30)) + 0.24 * np.cos(np.radians(2 * hbarp))
         + 0.32 * np.cos(np.radians(3 * hbarp + 6)) - 0.20 * np.cos(np.radians(4 * hbarp - 63)))
    dtheta = 30 * np.exp(-(((hbarp - 275) / 25) ** 2))
    Cbarp7 = Cbarp ** 7
    RC = 2 * np.sqrt(Cbarp7 / (Cbarp7 + 25.0 ** 7))
    SL = 1 + 0.015 * (Lbarp - 50) ** 2 / np.sqrt(20 + (Lbarp - 50) ** 2)
    SC = 1 + 0.045 * Cbarp
    SH = 1 + 0.015 * Cbarp * T
    RT = -np.sin(np.radians(2 * dtheta)) * RC
    return np.sqrt((dLp / SL) ** 2 + (dCp / SC) ** 2 + (dHp / SH) ** 2
                   + RT * (dCp / SC) * (dHp / SH))
