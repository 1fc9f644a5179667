"""Converts the released BigColor checkpoint to a Kinecolor model file.

    python3 -m kinecolor_training.convert_bigcolor EG_011.ckpt EG_EMA_011.ckpt -o bigcolor.safetensors \
        [--class-names FILE] [--f16]

Recipe (Docs/bigcolor-architecture.md §7.3):
  1. load the 288-entry state_dict of EG_011.ckpt;
  2. replace its parameters with the torch_ema `shadow_params` of EG_EMA_011.ckpt,
     position by position in EG.parameters() order (= state_dict order without the
     buffers). 146 entries (torch_ema 0.3) or 122 (0.2: no in1/in2). The buffers
     (BN statistics, u0) stay those of EG_011.ckpt; collected_params is ignored;
  3. fold spectral norm: W / sigma, sigma from one float64 power step from the
     checkpoint's u0 applied to the EMA weight (§6.1). sv0 is never used; biases
     are not scaled;
  4. drop what never runs (G.linear, the blocks before the first one that runs,
     in1/in2, u0, sv0) and write Docs/model-format.md.
"""

import argparse
import datetime
import json
import sys
from collections import OrderedDict

import numpy as np
import torch
from safetensors.numpy import save_file

from . import bigcolor
from .official_checkpoint import (  # noqa: F401 (re-exported for callers of this module)
    IMAGENET_CLASSES, ConversionError, ema_order, infer_config, read_class_names, spectral_sigma, unexpected_entries)


def torch_load(path, trust_pickle):
    try:
        return torch.load(path, map_location="cpu", weights_only=not trust_pickle)
    except FileNotFoundError:
        raise ConversionError(f"{path}: no such file")
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds here
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = "" if trust_pickle else " (if you trust the file, retry with --trust-pickle)"
        raise ConversionError(f"{path}: cannot load: {first_line}{hint}")


def load_state_dict(path, trust_pickle=False):
    obj = torch_load(path, trust_pickle)
    # The release is a bare state_dict; accept common wrappers too.
    for key in ("state_dict", "model", "EG"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    if not isinstance(obj, dict) or not all(torch.is_tensor(v) for v in obj.values()):
        raise ConversionError(f"{path}: not a state_dict of tensors")
    sd = OrderedDict()
    for key, value in obj.items():
        sd[key[len("module."):] if key.startswith("module.") else key] = value
    return sd


def load_shadow_params(path, trust_pickle=False):
    obj = torch_load(path, trust_pickle)
    if not isinstance(obj, dict) or "shadow_params" not in obj:
        raise ConversionError(f"{path}: not a torch_ema state dict (no shadow_params)")
    shadow = list(obj["shadow_params"])
    if not all(torch.is_tensor(t) for t in shadow):
        raise ConversionError(f"{path}: shadow_params holds non-tensors")
    return shadow


def apply_ema(sd, shadow):
    """Overwrites the parameters of sd (in place) with the EMA shadows."""
    order = ema_order(list(sd), len(shadow))
    for i, (name, tensor) in enumerate(zip(order, shadow)):
        if tuple(tensor.shape) != tuple(sd[name].shape):
            raise ConversionError(f"EMA entry {i} has shape {list(tensor.shape)} but parameter {i} "
                                  f"({name}) has shape {list(sd[name].shape)}")
        sd[name] = tensor.detach().to(sd[name].dtype)
    return len(order)


def fold(sd, cfg):
    """Folded float32 tensors in the key order of the folded reference model."""
    with torch.device("meta"):
        template = bigcolor.Colorizer(cfg, official=False).state_dict()
    out = OrderedDict()
    for key, meta in template.items():
        if key not in sd:
            raise ConversionError(f"checkpoint lacks {key}")
        tensor = sd[key].detach()
        if tuple(tensor.shape) != tuple(meta.shape):
            raise ConversionError(f"{key} has shape {list(tensor.shape)}, expected {list(meta.shape)}")
        if key.endswith(".weight") and key[:-len("weight")] + "u0" in sd:
            u0 = sd[key[:-len("weight")] + "u0"]
            sigma = spectral_sigma(tensor.to(torch.float64).numpy(), u0.detach().to(torch.float64).numpy())
            tensor = (tensor.to(torch.float64) / sigma)
        out[key] = tensor.to(torch.float32).numpy()
    # Everything else must be a known unused entry; anything unexpected means a layout we don't understand.
    leftovers = unexpected_entries(sd, out, cfg["generator_first_block"])
    if leftovers:
        raise ConversionError(f"unexpected checkpoint entries: {leftovers[:5]}{' ...' if len(leftovers) > 5 else ''}")
    return out


def convert(ckpt, ema, output, class_names=None, f16=False, name="bigcolor-official", trust_pickle=False,
            log=print):
    sd = load_state_dict(ckpt, trust_pickle)
    log(f"{ckpt}: {len(sd)} entries")
    if ema is not None:
        n = apply_ema(sd, load_shadow_params(ema, trust_pickle))
        log(f"{ema}: applied {n} EMA shadow parameters")
    else:
        log("warning: no EMA file given; the official results use the EMA weights")
    cfg = infer_config(sd)
    bigcolor.check_config(cfg)
    tensors = fold(sd, cfg)
    names = read_class_names(class_names, cfg["num_classes"])

    if f16:
        tensors = OrderedDict((k, v.astype(np.float16)) for k, v in tensors.items())
        bad = [k for k, v in tensors.items() if not np.all(np.isfinite(v))]
        if bad:
            raise ConversionError(f"values overflow float16 in {bad[:5]}; convert without --f16")

    metadata = {
        "format": "kinecolor.bigcolor",
        "architecture_version": "1",
        "config": json.dumps(cfg),
        "class_names": json.dumps(names),
        "name": name,
        "description": ("BigColor (Kim et al., ECCV 2022) released colorizer, epoch 11 with EMA weights; "
                        "spectral norm folded by Kinecolor's kinecolor_training.convert_bigcolor"),
        "source": ("https://github.com/KIMGEONUNG/BigColor: ckpts/bigcolor/EG_011.ckpt and EG_EMA_011.ckpt "
                   "(Google Drive folder linked from the README)"),
        "license": ("The BigColor repository is MIT-licensed (Copyright (c) 2022 Comar); no separate licence is "
                    "stated for the released weights, which were trained on ImageNet-1k. Check the BigColor "
                    "repository before redistributing this file."),
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    save_file(dict(tensors), output, metadata=metadata)
    floats = sum(v.size for v in tensors.values())
    log(f"wrote {output}: {len(tensors)} tensors, {floats:,} values ({'F16' if f16 else 'F32'}), "
        f"config {json.dumps(cfg)}")
    return cfg


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.convert_bigcolor", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ckpt", help="EG_011.ckpt (state_dict)")
    ap.add_argument("ema", nargs="?", help="EG_EMA_011.ckpt (torch_ema state); strongly recommended")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--class-names", help="text file, one class name a line (default: ImageNet-1k names "
                                          "for 1000 classes, else class0, class1, ...)")
    ap.add_argument("--f16", action="store_true", help="store float16 tensors (half the size)")
    ap.add_argument("--name", default="bigcolor-official")
    ap.add_argument("--trust-pickle", action="store_true",
                    help="allow arbitrary pickled objects (torch.load weights_only=False)")
    args = ap.parse_args()
    torch.set_num_threads(min(2, torch.get_num_threads()))
    try:
        convert(args.ckpt, args.ema, args.output, args.class_names, args.f16, args.name, args.trust_pickle)
    except ConversionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
