"""Chroma calibration: a lookup table from the network's a/b (and the gray's L*) to the mean true a/b
of training pixels where the network said that a/b (Docs/model-format.md, "Chroma calibration").

A regression-trained colorizer that is unsure says an in-between hue; some of its hues are reliable
(foliage green, sky blue, skin) and some mostly wrong (a purple cast on a pitch). The table keeps the
first and pulls the second towards what the photos really had there, so a saturation gain afterwards
spends colorfulness where it is right. For squared error with a floor on chroma energy, the best map
of this kind is exactly that conditional mean times one gain, which is why the gain stays separate.

The table is [l_bins, nodes, nodes, 2] float32: layer l holds pixels whose 100·gray lies in
[100·l/l_bins, 100·(l+1)/l_bins); node (i, j) sits at a = -range + i·step, b = -range + j·step with
step = 2·range/(nodes - 1). Applying it: bilinear in (a, b) within a layer (clamped to ±range), then
linear in L* between layer centres. The Swift engine does the same (Sources/Model/ChromaCalibration.swift).
"""

import numpy as np

KEY = "calibration.ab"
AB_RANGE = 96.0
NODES = 49


class Accumulator:
    """Sums of true a/b per (L layer, a node, b node), splatted bilinearly in (a, b); every image has the
    same total weight, as the metrics average over images."""

    def __init__(self, l_bins=8, nodes=NODES, ab_range=AB_RANGE):
        self.l_bins, self.nodes, self.range = l_bins, nodes, ab_range
        self.sum = np.zeros((l_bins, nodes, nodes, 2))
        self.weight = np.zeros((l_bins, nodes, nodes))

    def add(self, ab_pred, ab_true, luma):
        """ab_pred, ab_true [2, H, W] (CIELAB a/b); luma [H, W], the gray in [0, 1]."""
        a, b = np.asarray(ab_pred, np.float64).reshape(2, -1)
        ta, tb = np.asarray(ab_true, np.float64).reshape(2, -1)
        w_img = 1000.0 / a.size
        n, r = self.nodes, self.range
        u = (np.clip(a, -r, r) + r) / (2 * r) * (n - 1)
        v = (np.clip(b, -r, r) + r) / (2 * r) * (n - 1)
        layer = np.minimum((np.asarray(luma, np.float64).reshape(-1) * self.l_bins).astype(int), self.l_bins - 1)
        layer = np.maximum(layer, 0)
        u0 = np.minimum(np.floor(u).astype(int), n - 2)
        v0 = np.minimum(np.floor(v).astype(int), n - 2)
        fu, fv = u - u0, v - v0
        for du, dv, w in ((0, 0, (1 - fu) * (1 - fv)), (1, 0, fu * (1 - fv)), (0, 1, (1 - fu) * fv), (1, 1, fu * fv)):
            idx = (layer, u0 + du, v0 + dv)
            w = w * w_img
            np.add.at(self.weight, idx, w)
            np.add.at(self.sum[..., 0], idx, w * ta)
            np.add.at(self.sum[..., 1], idx, w * tb)

    def table(self, prior_gain=1.0, strength=20.0):
        """The conditional means; nodes with little data lean on prior_gain·(a, b) (strength is in
        the accumulator's weight units: 1000 per image)."""
        grid = np.linspace(-self.range, self.range, self.nodes)
        prior = np.stack(np.meshgrid(grid, grid, indexing="ij"), -1) * prior_gain
        return ((self.sum + strength * prior) / (self.weight[..., None] + strength)).astype(np.float32)


def apply(table, ab, luma, ab_range=AB_RANGE):
    """The calibrated a/b [2, H, W] for the network's ab [2, H, W] and the gray [H, W] in [0, 1]."""
    l_bins, n = table.shape[0], table.shape[1]
    a, b = np.asarray(ab, np.float32)
    step = 2 * ab_range / (n - 1)
    u = (np.clip(a, -ab_range, ab_range) + ab_range) / step
    v = (np.clip(b, -ab_range, ab_range) + ab_range) / step
    u0 = np.minimum(np.floor(u).astype(int), n - 2)
    v0 = np.minimum(np.floor(v).astype(int), n - 2)
    fu, fv = (u - u0)[..., None], (v - v0)[..., None]

    def layer(l):
        t = table[l]
        return ((1 - fu) * (1 - fv) * t[u0, v0] + fu * (1 - fv) * t[u0 + 1, v0]
                + (1 - fu) * fv * t[u0, v0 + 1] + fu * fv * t[u0 + 1, v0 + 1])

    # linear between layer centres (l + 0.5) / l_bins; clamped at the first and last
    pos = np.clip(np.asarray(luma, np.float32) * l_bins - 0.5, 0, l_bins - 1)
    l0 = np.minimum(np.floor(pos).astype(int), l_bins - 1)
    l1 = np.minimum(l0 + 1, l_bins - 1)
    f = (pos - l0)[..., None]
    out = np.zeros(a.shape + (2,), np.float32)
    for l in range(l_bins):
        sel0, sel1 = l0 == l, l1 == l
        if sel0.any() or sel1.any():
            v = layer(l)
            out += np.where(sel0[..., None], (1 - f) * v, 0) + np.where(sel1[..., None], f * v, 0)
    return out.transpose(2, 0, 1)
