"""Writes a random-weight checkpoint pair in the official BigColor layout:

    DIR/EG_011.ckpt       torch.save of the state_dict (OrderedDict; 288 entries at full size)
    DIR/EG_EMA_011.ckpt   torch_ema-style dict(decay, num_updates, shadow_params, collected_params)

shadow_params are perturbed copies of the parameters (so EMA != raw weights and a
converter that skipped the EMA would be caught); collected_params are the raw ones.
Weights are non-degenerate: sigma != 1, random u0 and sv0 (so a fold that used sv0
would be caught), calibrated BN statistics, attention gamma 0.5.

    python3 -m kinecolor_training.make_official_random --out DIR [--seed S] [--config full|small|tiny] [--ema-version 0.3|0.2]
"""

import argparse
import os

import torch

from . import bigcolor


def make_official_random(out_dir, seed=0, config="small", ema_version="0.3", calibrate=True):
    """Returns the official-flavour model holding the raw (non-EMA) weights."""
    cfg = bigcolor.CONFIGS[config] if isinstance(config, str) else config
    model = bigcolor.Colorizer(cfg, official=True)
    bigcolor.randomize_(model, seed=seed)
    if calibrate:
        bigcolor.calibrate_bn_(model, seed=seed + 1)
    model.eval()

    os.makedirs(out_dir, exist_ok=True)
    state = model.state_dict()  # an OrderedDict, as the release
    torch.save(state, os.path.join(out_dir, "EG_011.ckpt"))

    g = torch.Generator().manual_seed(seed + 2)
    named = list(model.named_parameters())
    if ema_version == "0.2":  # torch_ema 0.2 averaged only the parameters that require grad (no in1/in2)
        named = [(n, p) for n, p in named if p.requires_grad]
    shadow, collected = [], []
    for _, p in named:
        p = p.detach()
        scale = 0.05 * p.abs().mean().clamp_min(1e-3)
        shadow.append((p + scale * torch.randn(p.shape, generator=g)).clone())
        collected.append(p.clone())
    ema = {"decay": 0.9999, "num_updates": 123456, "shadow_params": shadow, "collected_params": collected}
    torch.save(ema, os.path.join(out_dir, "EG_EMA_011.ckpt"))
    return model


def apply_shadow_(model, shadow):
    """What torch_ema's copy_to() does (146 entries) or the 0.2 equivalent (122)."""
    params = list(model.parameters())
    if len(shadow) != len(params):
        params = [p for p in params if p.requires_grad]
    assert len(shadow) == len(params), (len(shadow), len(params))
    with torch.no_grad():
        for p, s in zip(params, shadow):
            p.copy_(s)


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.make_official_random", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--config", choices=sorted(bigcolor.CONFIGS), default="small")
    ap.add_argument("--ema-version", choices=["0.3", "0.2"], default="0.3")
    args = ap.parse_args()
    torch.set_num_threads(min(2, torch.get_num_threads()))
    model = make_official_random(args.out, args.seed, args.config, args.ema_version)
    n_entries = len(model.state_dict())
    n_params = len(list(model.parameters()))
    print(f"wrote {args.out}/EG_011.ckpt ({n_entries} entries, {n_params} parameters) and EG_EMA_011.ckpt "
          f"(torch_ema {args.ema_version} layout)")


if __name__ == "__main__":
    main()
