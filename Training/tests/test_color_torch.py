"""The torch path of color.py (training, evaluation) agrees with the numpy path and has finite gradients."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from kinecolor_training.color import lab2rgb, lab_to_srgb, rgb2lab, srgb_to_lab  # noqa: E402


def test_torch_and_numpy_conversions_agree():
    rng = np.random.default_rng(2)
    rgb = rng.random((2, 3, 8, 9)).astype(np.float32)
    lab_t = rgb2lab(torch.from_numpy(rgb))
    assert lab_t.shape == (2, 3, 8, 9) and lab_t.dtype == torch.float32
    lab_n = srgb_to_lab(np.moveaxis(rgb, 1, -1).astype(np.float64))
    np.testing.assert_allclose(np.moveaxis(lab_t.numpy(), 1, -1), lab_n, rtol=0, atol=2e-3)  # float32 vs float64
    back_t = lab2rgb(torch.from_numpy(np.moveaxis(lab_n, -1, 1).astype(np.float32)))
    np.testing.assert_allclose(np.moveaxis(back_t.numpy(), 1, -1), lab_to_srgb(lab_n), rtol=0, atol=1e-5)


def test_gradients_are_finite_at_the_edges():
    rgb = torch.tensor([0.0, 1.0, 0.04045, 0.5, 0.0, 1.0]).view(1, 3, 1, 2).requires_grad_()
    lab = rgb2lab(rgb)
    lab2rgb(lab * torch.tensor([1.0, 1.5, 1.5]).view(1, 3, 1, 1)).sum().backward()
    assert torch.isfinite(rgb.grad).all()
