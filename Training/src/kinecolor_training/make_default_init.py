"""A random official-layout checkpoint pair with PyTorch's default initialisation (what
instantiating the official classes gives), attention gamma set to a non-zero value so that the
attention block is exercised. Used by compare_forward as the well-conditioned test case.

    python3 -m kinecolor_training.make_default_init --out DIR [--gamma 0.5] [--seed 0]
"""
import argparse
import os

import torch

from . import bigcolor


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.make_default_init", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--gamma", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    model = bigcolor.Colorizer(bigcolor.CONFIGS["full"], official=True)
    with torch.no_grad():
        dict(model.named_parameters())["G.blocks.3.1.gamma"].fill_(args.gamma)
    model.eval()
    os.makedirs(args.out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.out, "EG_011.ckpt"))
    shadow = [p.detach().clone() for p in model.parameters()]
    torch.save({"decay": 0.9999, "num_updates": 1, "shadow_params": shadow, "collected_params": None},
               os.path.join(args.out, "EG_EMA_011.ckpt"))


if __name__ == "__main__":
    main()
