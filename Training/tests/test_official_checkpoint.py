"""The converter's PyTorch-free part: config inference, EMA order, spectral sigma, class names."""

import numpy as np
import pytest

from kinecolor_training.configs import CONFIGS, FULL_CONFIG, check_config
from kinecolor_training.official_checkpoint import (
    ConversionError, ema_order, infer_config, read_class_names, spectral_sigma, unexpected_entries)


def shapes_of_released_checkpoint():
    """The entries infer_config reads, with the shapes Docs/bigcolor-architecture.md §7.1 lists for
    EG_011.ckpt (BigGAN-256, ch 96; 6 generator blocks of which 2..5 run). Zero-cost arrays: only
    .shape is read."""
    def t(*shape):
        return np.broadcast_to(np.float32(0), shape)

    sd = {f"E.res{k}.conv_1.weight": t(c, c, 3, 3) for k, c in enumerate([96, 192, 384, 768, 768], 1)}
    sd["G.shared.weight"] = t(1000, 128)
    ins, outs = [1536, 1536, 768, 768, 384, 192], [1536, 768, 768, 384, 192, 96]
    for i in range(6):
        sd[f"G.blocks.{i}.0.conv1.weight"] = t(outs[i], ins[i], 3, 3)
        sd[f"G.blocks.{i}.0.bn1.gain.weight"] = t(ins[i], 128 + 17)
    sd["G.blocks.3.1.gamma"] = t()
    return sd


def test_infer_config_of_the_released_layout():
    cfg = infer_config(shapes_of_released_checkpoint())
    assert cfg == FULL_CONFIG
    check_config(cfg)


def test_infer_config_refuses_what_it_does_not_understand():
    sd = shapes_of_released_checkpoint()
    del sd["E.res3.conv_1.weight"]
    with pytest.raises(ConversionError, match="lacks E.res3.conv_1.weight"):
        infer_config(sd)
    sd = shapes_of_released_checkpoint()
    sd["G.blocks.4.1.gamma"] = sd["G.blocks.3.1.gamma"]
    with pytest.raises(ConversionError, match="one attention block"):
        infer_config(sd)
    sd = shapes_of_released_checkpoint()
    del sd["G.blocks.1.0.conv1.weight"]
    with pytest.raises(ConversionError, match="unexpected generator blocks"):
        infer_config(sd)


def test_ema_order_torch_ema_03_and_02():
    keys = ["E.res1.conv.weight", "E.res1.normalize_1.stored_mean", "E.res1.in1.weight", "E.res1.in1.bias",
            "G.blocks.2.0.conv1.weight", "G.blocks.2.0.conv1.u0", "G.blocks.2.0.conv1.sv0", "G.blocks.3.1.gamma"]
    every = ["E.res1.conv.weight", "E.res1.in1.weight", "E.res1.in1.bias", "G.blocks.2.0.conv1.weight",
             "G.blocks.3.1.gamma"]
    assert ema_order(keys, 5) == every                                    # 0.3: all parameters, in order
    assert ema_order(keys, 3) == [k for k in every if ".in1." not in k]   # 0.2: no in1/in2
    with pytest.raises(ConversionError, match="EMA has 4 shadow params, but the checkpoint has 5 parameters"):
        ema_order(keys, 4)


def test_spectral_sigma_known_values():
    # W = diag(3, 2), u0 = (1, 1): v = u0 W / |u0 W| = (3, 2)/sqrt(13), t = v W^T = (9, 4)/sqrt(13),
    # sigma = t . t/|t| = |t| = sqrt(97/13).
    assert spectral_sigma(np.diag([3.0, 2.0]), np.ones(2)) == pytest.approx(np.sqrt(97 / 13), rel=1e-15)
    # Starting from the top left singular vector, one step gives the largest singular value exactly.
    rng = np.random.default_rng(3)
    w = rng.standard_normal((6, 4, 3, 3))
    u, s, _ = np.linalg.svd(w.reshape(6, -1))
    assert spectral_sigma(w, u[:, 0]) == pytest.approx(s[0], rel=1e-12)
    # From another start it is below it (a Rayleigh quotient), and u0 must match the rows.
    assert spectral_sigma(w, rng.standard_normal(6)) < s[0]
    with pytest.raises(ConversionError, match="u0 has 5 entries for a weight with 6 rows"):
        spectral_sigma(w, np.ones(5))


def test_unexpected_entries():
    keys = ["G.linear.weight", "G.blocks.0.0.conv1.weight", "G.blocks.1.0.bn1.stored_mean", "E.res1.in2.bias",
            "E.res1.conv.u0", "E.res1.conv.sv0", "E.res1.conv.weight", "G.blocks.2.0.conv1.weight", "E.att.theta.weight"]
    used = {"E.res1.conv.weight", "G.blocks.2.0.conv1.weight"}
    assert unexpected_entries(keys, used, 2) == ["E.att.theta.weight"]
    assert unexpected_entries(keys, used, 1) == ["G.blocks.1.0.bn1.stored_mean", "E.att.theta.weight"]


def test_class_names(tmp_path):
    names = read_class_names(None, 1000)  # the packaged ImageNet-1k list
    assert len(names) == 1000 and len(set(names)) == 1000
    assert names[0].startswith("tench") and names[398].startswith("abacus") and names[999].startswith("toilet tissue")
    assert read_class_names(None, 3) == ["class0", "class1", "class2"]
    f = tmp_path / "names.txt"
    f.write_text("cat\n\ndog\n")
    assert read_class_names(str(f), 2) == ["cat", "dog"]
    with pytest.raises(ConversionError, match="has 2 class names, the model has 3 classes"):
        read_class_names(str(f), 3)


def test_configs_are_consistent():
    for name, cfg in CONFIGS.items():
        check_config(cfg)
    with pytest.raises(ValueError, match="attention_block 6"):
        check_config(dict(FULL_CONFIG, attention_block=6))
