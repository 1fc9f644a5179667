"""PyTorch CPU speed of the full-size official BigColor model (random weights,
eval, no_grad, spectral norm recomputed on every call as the official code does):
median time in fp32 and under bfloat16 autocast, per input size.

    python3 -m kinecolor_training.bench_pytorch --sizes 256x256,256x448 --threads 2 --runs 5 [--json]
"""

import argparse
import json
import statistics
import sys
import time

import torch

from . import bigcolor


def time_runs(fn, runs):
    fn()  # warm-up: first-call allocations and oneDNN kernel selection
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.bench_pytorch", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="256x256,256x448", help="comma-separated HxW list")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="also print one JSON line with the results")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    model = bigcolor.Colorizer(bigcolor.FULL_CONFIG, official=True)
    # Random statistics are enough for timing; calibration would cost a full-size forward.
    bigcolor.randomize_(model, seed=0)
    model.eval()
    z = torch.randn(bigcolor.FULL_CONFIG["dim_z"]) * 0.8

    results = []
    for size in args.sizes.split(","):
        h, w = map(int, size.split("x"))
        x = torch.rand(1, 1, h, w)

        def fp32():
            with torch.no_grad():
                return model(x, 0, z)

        def bf16():
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
                return model(x, 0, z)

        if not torch.isfinite(fp32()).all():
            print(f"warning: non-finite output at {size}", file=sys.stderr)
        t32 = time_runs(fp32, args.runs)
        t16 = time_runs(bf16, args.runs)
        results.append({"size": f"{h}x{w}", "fp32_s": round(t32, 4), "bf16_autocast_s": round(t16, 4)})
        print(f"{h}x{w}: fp32 {t32:.3f} s, bf16 autocast {t16:.3f} s "
              f"(median of {args.runs}, {args.threads} threads)")

    if args.json:
        print(json.dumps({"torch": torch.__version__, "threads": args.threads, "runs": args.runs,
                          "model": "bigcolor-official-random", "results": results}))


if __name__ == "__main__":
    main()
