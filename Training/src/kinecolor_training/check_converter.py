"""End-to-end check of convert_bigcolor (also used by a Swift test when torch is importable).

    python3 -m kinecolor_training.check_converter --work DIR [--config small|tiny|full] [--seed S]

1. writes a random official-layout checkpoint pair (make_official_random) to DIR/official/;
2. runs the official-flavour reference (spectral norm on the fly from u0, EMA
   weights, eval) in float64 on x [1,1,32,48] (256x256 with --config full), class 2;
3. converts the pair with convert_bigcolor (as a subprocess, like a user would);
4. writes DIR/model.safetensors, DIR/x.npy (float32 [1,1,H,W]), DIR/z.npy (float32
   [dim_z]), DIR/expected.npy (float32 [1,3,H,W]) and DIR/class.txt (the class index,
   no newline);
5. checks that the folded reference loaded from DIR/model.safetensors reproduces
   expected to <= 1e-5 max abs: computed in float64 (this isolates the conversion:
   only the F32 storage of W/sigma differs) and in float32. At full width float32
   rounding alone exceeds 1e-5 (the official code in float32 is ~4e-5 from float64),
   so the float32 run must then stay within 1.5x of the official float32 error.
   Also checks that the test is meaningful: the non-EMA weights, or sv0 instead of
   the recomputed sigma, give clearly different outputs. Exits 1 on failure.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import torch

from . import bigcolor
from .make_official_random import apply_shadow_, make_official_random

TOLERANCE = 1e-5
CLASS = 2


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.check_converter", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True)
    ap.add_argument("--config", choices=sorted(bigcolor.CONFIGS), default="small")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--size", help="HxW of the test input (default 32x48, 256x256 for --config full)")
    ap.add_argument("--ema-version", choices=["0.3", "0.2"], default="0.3")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--keep-checkpoints", action="store_true",
                    help="keep DIR/official/ (deleted by default for --config full: ~1.3 GB)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    h, w = map(int, (args.size or ("256x256" if args.config == "full" else "32x48")).split("x"))
    os.makedirs(args.work, exist_ok=True)
    official_dir = os.path.join(args.work, "official")
    t0 = time.time()

    make_official_random(official_dir, seed=args.seed, config=args.config, ema_version=args.ema_version)
    ckpt = os.path.join(official_dir, "EG_011.ckpt")
    ema_path = os.path.join(official_dir, "EG_EMA_011.ckpt")

    # The reference reads the files back, as the official code would.
    cfg = bigcolor.CONFIGS[args.config]
    model = bigcolor.Colorizer(cfg, official=True)
    model.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=True), strict=True)
    ema = torch.load(ema_path, map_location="cpu", weights_only=True)
    apply_shadow_(model, ema["shadow_params"])
    model.eval()
    model.double()

    g = torch.Generator().manual_seed(args.seed + 100)
    x = bigcolor.random_gray(1, h, w, g).to(torch.float32)
    z = (torch.randn(cfg["dim_z"], generator=g) * 0.8).to(torch.float32)
    with torch.no_grad():
        expected = model(x.double(), CLASS, z.double())
    print(f"reference forward done ({time.time() - t0:.1f}s): out range [{expected.min():.3f}, {expected.max():.3f}]")

    out_path = os.path.join(args.work, "model.safetensors")
    cmd = [sys.executable, "-m", "kinecolor_training.convert_bigcolor", ckpt, ema_path, "-o", out_path]
    result = subprocess.run(cmd, capture_output=True, text=True)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        print("FAIL: convert_bigcolor exited with", result.returncode)
        sys.exit(1)

    np.save(os.path.join(args.work, "x.npy"), x.numpy())
    np.save(os.path.join(args.work, "z.npy"), z.numpy())
    np.save(os.path.join(args.work, "expected.npy"), expected.to(torch.float32).numpy())
    with open(os.path.join(args.work, "class.txt"), "w") as f:
        f.write(str(CLASS))

    folded32, _ = bigcolor.load_folded(out_path, torch.float32)
    folded64, _ = bigcolor.load_folded(out_path, torch.float64)
    with torch.no_grad():
        got64 = folded64(x.double(), CLASS, z.double())
        got32 = folded32(x, CLASS, z).double()
        official32 = model.float()(x, CLASS, z).double()
        # Controls: what a converter with either classic mistake would produce.
        raw = bigcolor.Colorizer(cfg, official=True)
        raw.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=True))
        raw.eval()
        no_ema = raw(x, CLASS, z).double()
        for m in model.modules():
            if isinstance(m, bigcolor._SpectralNorm):
                m.sn_weight = (lambda mod: lambda: mod.weight / mod.sv0[0])(m)
        with_sv0 = model(x, CLASS, z).double()

    def maxdiff(a):
        return (a - expected).abs().max().item()

    diff64, diff32, official_diff = maxdiff(got64), maxdiff(got32), maxdiff(official32)
    limit32 = max(TOLERANCE, 1.5 * official_diff)
    print(f"folded float64 (converted file) vs official float64 reference: max|diff| {diff64:.2e} (limit {TOLERANCE:.0e})")
    print(f"folded float32 (converted file) vs official float64 reference: max|diff| {diff32:.2e} (limit {limit32:.1e})")
    print(f"official float32 vs official float64 reference:                max|diff| {official_diff:.2e}")
    controls = {"without EMA": maxdiff(no_ema), "dividing by sv0": maxdiff(with_sv0)}
    print("controls (must differ clearly): " + ", ".join(f"{k} {v:.2e}" for k, v in controls.items()))

    if not args.keep_checkpoints and args.config == "full":
        shutil.rmtree(official_dir)
    ok = diff64 <= TOLERANCE and diff32 <= limit32 and all(v > 1e-3 for v in controls.values())
    print(f"{'OK' if ok else 'FAIL'}: wrote {args.work}/model.safetensors, x.npy, z.npy, expected.npy, class.txt "
          f"({time.time() - t0:.1f}s)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
