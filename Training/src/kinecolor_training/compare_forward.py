"""Checks `kinecolor model forward` against the official-layout PyTorch forward, end to end.

    python3 -m kinecolor_training.compare_forward --kinecolor .build/release/kinecolor --work /tmp/cmp \
        [--ckpt EG_011.ckpt --ema EG_EMA_011.ckpt] [--sizes 256x256,256x448] [--classes 1,207,999] [--seeds 0,1]

Without --ckpt/--ema it writes a random full-size checkpoint pair in the official layout
(make_official_random). It converts the pair with convert_bigcolor, then for every size,
class and z seed runs the official-flavour reference (spectral norm from u0 on the fly, EMA
weights, eval, float32, as the official `Colorizer.forward` does) and `kinecolor model forward`,
and prints the max abs difference of the tanh outputs. Exits 1 if any exceeds --tolerance (1e-4).
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import torch

from . import bigcolor
from .make_official_random import apply_shadow_, make_official_random


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.compare_forward", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kinecolor", required=True, help="path to the kinecolor binary")
    ap.add_argument("--work", required=True)
    ap.add_argument("--ckpt")
    ap.add_argument("--ema")
    ap.add_argument("--sizes", default="256x256,256x448")
    ap.add_argument("--classes", default="1,207,999")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)

    if not args.ckpt:
        official = os.path.join(args.work, "official")
        make_official_random(official, seed=11, config="full")
        args.ckpt, args.ema = os.path.join(official, "EG_011.ckpt"), os.path.join(official, "EG_EMA_011.ckpt")
    model_path = os.path.join(args.work, "bigcolor.safetensors")
    if os.path.exists(model_path):
        os.remove(model_path)
    subprocess.run([sys.executable, "-m", "kinecolor_training.convert_bigcolor", args.ckpt, args.ema, "-o", model_path], check=True)

    # The official forward: official layout, EMA parameters copied in, buffers from EG_011.ckpt.
    state = torch.load(args.ckpt, map_location="cpu", weights_only=True)
    state = {k.removeprefix("module."): v for k, v in state.items()}
    ema = torch.load(args.ema, map_location="cpu", weights_only=False)
    cfg = bigcolor.CONFIGS["full"]
    ref = bigcolor.Colorizer(cfg, official=True)
    ref.load_state_dict(state, strict=True)
    apply_shadow_(ref, ema["shadow_params"])
    ref.eval()

    worst = 0.0
    for size in args.sizes.split(","):
        h, w = map(int, size.split("x"))
        for seed in map(int, args.seeds.split(",")):
            rng = np.random.default_rng(seed)
            x = rng.random((1, 1, h, w), dtype=np.float32)
            z = (rng.standard_normal(cfg["dim_z"]) * 0.8).astype(np.float32)
            np.save(os.path.join(args.work, "x.npy"), x)
            np.save(os.path.join(args.work, "z.npy"), z)
            for c in map(int, args.classes.split(",")):
                with torch.no_grad():
                    expected = ref(torch.from_numpy(x), c, torch.from_numpy(z)).numpy()
                y_path = os.path.join(args.work, "y.npy")
                if os.path.exists(y_path):
                    os.remove(y_path)
                subprocess.run([args.kinecolor, "model", "forward", "--model", model_path, "--input",
                                os.path.join(args.work, "x.npy"), "--class", str(c), "--z",
                                os.path.join(args.work, "z.npy"), "--output", y_path], check=True)
                y = np.load(y_path)
                assert y.shape == expected.shape, (y.shape, expected.shape)
                diff = float(np.abs(y - expected).max())
                worst = max(worst, diff)
                print(f"{h}x{w} seed {seed} class {c:4d}: max abs diff {diff:.2e}  (output range ±{np.abs(expected).max():.2f})", flush=True)
    print(f"worst max abs diff {worst:.2e} (tolerance {args.tolerance:g})")
    sys.exit(0 if worst <= args.tolerance else 1)


if __name__ == "__main__":
    main()
