"""Chroma calibration: a lookup table from the network's a/b (and the gray's L*) to the true a/b of
training pixels where the network said that a/b (Docs/model-format.md, "Chroma calibration").

A regression-trained colorizer that is unsure says an in-between hue; some of its hues are reliable
(foliage green, sky blue, skin) and some mostly wrong (a purple cast on a pitch). The table keeps the
first and pulls the second towards what the photos really had there, so a saturation gain afterwards
spends colorfulness where it is right.

Which "what the photos had": the mean is the best map for squared error, but CIEDE2000 grows about
linearly with the distance, and where the network is unsure the true a/b spread widely (water, sand,
jerseys and skin can all sit behind one in-between hue); the few vivid pixels among them drag the mean
into a cast that the gain then amplifies. The spatial median (the point with the least summed distance)
is the best single answer for such a metric and does not follow them, so it is the default; the mean
is kept for comparison (Training/README.md, "A median calibration").

The table is [l_bins, nodes, nodes, 2] float32: layer l holds pixels whose 100·gray lies in
[100·l/l_bins, 100·(l+1)/l_bins); node (i, j) sits at a = -range + i·step, b = -range + j·step with
step = 2·range/(nodes - 1). Applying it: bilinear in (a, b) within a layer (clamped to ±range), then
linear in L* between layer centres. The Swift engine does the same (Sources/Model/ChromaCalibration.swift).
"""

import numpy as np

KEY = "calibration.ab"
AB_RANGE = 96.0
NODES = 49


STATISTICS = ("median", "mean")


class Accumulator:
    """The pixels a table is fitted on: for each, the (band, a node, b node) cell it splats into
    bilinearly in (a, b), its true a/b and its weight. Every image has the same total weight, as the
    metrics average over images; at most `per_image` random pixels of each are kept, so the memory
    stays bounded: 24 bytes a pixel, about 300 MB for 4096 pixels of 3,000 images, and the fit's four
    corner arrays twice that."""

    def __init__(self, l_bins=8, nodes=NODES, ab_range=AB_RANGE, per_image=4096, seed=0):
        self.l_bins, self.nodes, self.range, self.per_image = l_bins, nodes, ab_range, per_image
        self.rng = np.random.default_rng(seed)
        self.parts = []

    def add(self, ab_pred, ab_true, luma):
        """ab_pred, ab_true [2, H, W] (CIELAB a/b); luma [H, W], the gray in [0, 1]."""
        a, b = np.asarray(ab_pred, np.float64).reshape(2, -1)
        truth = np.asarray(ab_true, np.float32).reshape(2, -1).T
        luma = np.asarray(luma, np.float64).reshape(-1)
        if a.size > self.per_image:
            keep = self.rng.choice(a.size, self.per_image, replace=False)
            a, b, truth, luma = a[keep], b[keep], truth[keep], luma[keep]
        n, r = self.nodes, self.range
        u = (np.clip(a, -r, r) + r) / (2 * r) * (n - 1)
        v = (np.clip(b, -r, r) + r) / (2 * r) * (n - 1)
        layer = np.clip((luma * self.l_bins).astype(int), 0, self.l_bins - 1)
        u0 = np.minimum(np.floor(u).astype(int), n - 2)
        v0 = np.minimum(np.floor(v).astype(int), n - 2)
        cell = ((layer * n + u0) * n + v0).astype(np.int32)
        weight = np.full(a.size, 1000.0 / a.size, np.float32)
        self.parts.append((cell, (u - u0).astype(np.float32), (v - v0).astype(np.float32), truth, weight))

    def _corners(self):
        cell, fu, fv, truth, weight = (np.concatenate(x) for x in zip(*self.parts))
        n = self.nodes
        for du, dv, w in ((0, 0, (1 - fu) * (1 - fv)), (1, 0, fu * (1 - fv)), (0, 1, (1 - fu) * fv), (1, 1, fu * fv)):
            yield cell + du * n + dv, (w * weight).astype(np.float64), truth

    def table(self, prior_gain=1.0, strength=20.0, statistic="median", iterations=12):
        """Per node, the mean or the spatial median of the true a/b splatted into it. Nodes with little
        data lean on prior_gain·(a, b), a pseudo-pixel of weight `strength` (in the accumulator's
        units: 1000 per image). The median is Weiszfeld's iteration from the mean: each pixel weighted
        by 1 / its distance to the node's current estimate (floored at 1 unit of a/b)."""
        if statistic not in STATISTICS:
            raise ValueError(f"statistic {statistic!r}: must be one of {', '.join(STATISTICS)}")
        n, size = self.nodes, self.l_bins * self.nodes * self.nodes
        grid = np.linspace(-self.range, self.range, n)
        prior = np.broadcast_to(np.stack(np.meshgrid(grid, grid, indexing="ij"), -1) * prior_gain,
                                (self.l_bins, n, n, 2)).reshape(size, 2)
        if not self.parts:
            return prior.reshape(self.l_bins, n, n, 2).astype(np.float32)
        corners = list(self._corners())

        def weighted_mean(pixel_weight, prior_weight):
            num, den = prior_weight[:, None] * prior, prior_weight.copy()
            for idx, w, truth in corners:
                w = pixel_weight(idx, w, truth)
                den += np.bincount(idx, w, size)
                num[:, 0] += np.bincount(idx, w * truth[:, 0], size)
                num[:, 1] += np.bincount(idx, w * truth[:, 1], size)
            return num / den[:, None]

        est = weighted_mean(lambda idx, w, truth: w, np.full(size, strength))
        for _ in range(iterations if statistic == "median" else 0):
            cur = est
            est = weighted_mean(
                lambda idx, w, truth: w / np.maximum(np.linalg.norm(truth - cur[idx], axis=1), 1.0),
                strength / np.maximum(np.linalg.norm(prior - cur, axis=1), 1.0))
        return est.reshape(self.l_bins, n, n, 2).astype(np.float32)


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
