"""Kinecolor's engine against PyTorch, side by side in the same run.

    python3 -m kinecolor_training.bench_compare --kinecolor .build/release/kinecolor [--sizes 256x256,256x448] [--rounds 3] [--runs 5]

Alternates the two (`kinecolor model bench --random` and kinecolor_training.bench_pytorch, both on the
full-size official-shape network with random weights, 2 threads), `--rounds` times each, so that
both see the same machine conditions. Prints every round's medians, the median over rounds, and
the ratio PyTorch time / Kinecolor time (above 1: Kinecolor is faster).
"""

import argparse
import json
import statistics
import subprocess
import sys


def json_lines(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.bench_compare", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kinecolor", required=True)
    ap.add_argument("--sizes", default="256x256,256x448")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    ours = {s: [] for s in args.sizes.split(",")}
    fp32 = {s: [] for s in ours}
    bf16 = {s: [] for s in ours}
    rss = {s: 0.0 for s in ours}
    for r in range(args.rounds):
        for line in json_lines([args.kinecolor, "model", "bench", "--random", "--size", args.sizes, "--threads",
                                str(args.threads), "--runs", str(args.runs), "--json"]):
            ours[line["size"]].append(line["median_s"])
            rss[line["size"]] = max(rss[line["size"]], line["peak_rss_mb"])
        for line in json_lines([sys.executable, "-m", "kinecolor_training.bench_pytorch", "--sizes", args.sizes,
                                "--threads", str(args.threads), "--runs", str(args.runs), "--json"]):
            for entry in line["results"]:
                fp32[entry["size"]].append(entry["fp32_s"])
                bf16[entry["size"]].append(entry["bf16_autocast_s"])
        print(f"round {r + 1}: " + "; ".join(
            f"{s} kinecolor {ours[s][-1]:.3f} s, torch fp32 {fp32[s][-1]:.3f} s, bf16 {bf16[s][-1]:.3f} s" for s in ours), flush=True)

    print()
    print(f"| size | Kinecolor fp32 (s) | PyTorch fp32 (s) | PyTorch bf16 autocast (s) | fp32 ratio | bf16 ratio | Kinecolor peak RSS (MB) |")
    print(f"|---|---|---|---|---|---|---|")
    for s in ours:
        k, f, b = statistics.median(ours[s]), statistics.median(fp32[s]), statistics.median(bf16[s])
        print(f"| {s} | {k:.3f} | {f:.3f} | {b:.3f} | {f / k:.2f}× | {b / k:.2f}× | {rss[s]:.0f} |")


if __name__ == "__main__":
    main()
