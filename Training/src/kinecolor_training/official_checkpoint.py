"""What the released BigColor checkpoint's entries mean, without PyTorch (Docs/bigcolor-architecture.md §7).

The pure part of kinecolor_training.convert_bigcolor: the model config from the tensor shapes, which
parameters the torch_ema shadows cover, sigma of spectral norm (§6.1) in float64, which entries inference
never uses, and the class names. Anything with a `.shape` works as a tensor here (numpy arrays, torch
tensors); spectral_sigma takes anything numpy can convert.
"""

import os
import re

import numpy as np

from .configs import SN_EPS, is_buffer_key

IMAGENET_CLASSES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "imagenet_classes.txt")


class ConversionError(Exception):
    pass


def ema_order(keys, n_shadow):
    """The state_dict keys (in order) that n_shadow torch_ema shadows overwrite, position by position
    (§7.2): every parameter (torch_ema 0.3, 146 at full size), or every parameter but the unused
    in1/in2 norms (torch_ema 0.2, 122), which kept only those that require grad."""
    names = [k for k in keys if not is_buffer_key(k)]
    without_in = [k for k in names if not re.search(r"\.in[12]\.", k)]
    if n_shadow == len(names):
        return names
    if n_shadow == len(without_in):
        return without_in
    raise ConversionError(f"EMA has {n_shadow} shadow params, but the checkpoint has {len(names)} "
                          f"parameters ({len(without_in)} without in1/in2)")


def spectral_sigma(weight, u0, eps=SN_EPS):
    """sigma of §6.1 in float64: one power step from u0, u0 not updated."""
    w = np.asarray(weight, dtype=np.float64).reshape(np.shape(weight)[0], -1)
    u = np.asarray(u0, dtype=np.float64).reshape(1, -1)
    if u.shape[1] != w.shape[0]:
        raise ConversionError(f"u0 has {u.shape[1]} entries for a weight with {w.shape[0]} rows")
    v = u @ w
    v = v / max(float(np.linalg.norm(v)), eps)
    t = v @ w.T
    u_new = t / max(float(np.linalg.norm(t)), eps)
    return float((t @ u_new.T).item())


def infer_config(sd):
    """Config of Docs/model-format.md from the tensor shapes (bn_eps is not stored: 1e-5)."""
    def shape(key):
        if key not in sd:
            raise ConversionError(f"checkpoint lacks {key}")
        return tuple(sd[key].shape)

    encoder = [shape(f"E.res{k}.conv_1.weight")[0] for k in range(1, 6)]
    num_classes, shared_dim = shape("G.shared.weight")
    blocks = sorted({int(m.group(1)) for k in sd for m in [re.match(r"G\.blocks\.(\d+)\.0\.conv1\.weight$", k)] if m})
    if blocks != list(range(len(blocks))) or len(blocks) < 4:
        raise ConversionError(f"unexpected generator blocks {blocks}")
    first = len(blocks) - 4  # the last four blocks run: H/16 -> H
    attention = [int(m.group(1)) for k in sd for m in [re.match(r"G\.blocks\.(\d+)\.1\.gamma$", k)] if m]
    if len(attention) != 1:
        raise ConversionError(f"expected one attention block, found {attention}")
    generator = [shape(f"G.blocks.{first}.0.conv1.weight")[1]]
    generator += [shape(f"G.blocks.{i}.0.conv1.weight")[0] for i in range(first, first + 4)]
    z_chunk = shape(f"G.blocks.{first}.0.bn1.gain.weight")[1] - shared_dim
    # BigGAN splits z into one chunk for G.linear plus one per block.
    return {
        "encoder_channels": encoder,
        "generator_channels": generator,
        "generator_first_block": first,
        "attention_block": attention[0],
        "shared_dim": shared_dim,
        "num_classes": num_classes,
        "dim_z": z_chunk * (len(blocks) + 1),
        "z_chunk": z_chunk,
        "bn_eps": 1e-5,
    }


def unexpected_entries(keys, used, generator_first_block):
    """Keys that are neither used (folded) nor a known unused entry: G.linear, the generator blocks before
    the first one that runs, in1/in2, u0 and sv0. Anything else means a layout we don't understand."""
    skipped = "|".join(map(str, range(generator_first_block)))
    unused = re.compile(r"^G\.linear\.|^G\.blocks\.(%s)\.|\.in[12]\.|\.u0$|\.sv0$" % skipped)
    return [k for k in keys if k not in used and not unused.search(k)]


def read_class_names(path, num_classes):
    if path is None:
        if num_classes == 1000:
            path = IMAGENET_CLASSES
        else:
            return [f"class{i}" for i in range(num_classes)]
    with open(path, encoding="utf-8") as f:
        names = [line.strip() for line in f if line.strip()]
    if len(names) != num_classes:
        raise ConversionError(f"{path} has {len(names)} class names, the model has {num_classes} classes")
    return names
