"""Writes the Swift model-test fixtures into Tests/ModelTests/Fixtures/:

  tiny.safetensors                 a narrow random model in Kinecolor's folded format
  tiny_activations.safetensors     x, z, e, E.res1..5, G.blocks.2, G.blocks.3.0,
                                   G.blocks.3.1, G.blocks.4, G.blocks.5, out for
                                   x [1,1,32,48], class 3 (metadata "class")
  tiny_activations_b.safetensors   x, z, out for x [1,1,48,32], class 7

Activations are computed in float64 from the float32 weights stored in
tiny.safetensors (so they are the exact answer for that file) and stored as F32.

    python3 -m kinecolor_training.make_fixtures [--out DIR] [--seed S]
"""

import argparse
import json
import os

import torch
from safetensors.numpy import save_file

from . import bigcolor
from . import paths


def model_metadata(cfg, name, description):
    return {
        "format": "kinecolor.bigcolor",
        "architecture_version": "1",
        "config": json.dumps(cfg),
        "class_names": json.dumps([f"class{i}" for i in range(cfg["num_classes"])]),
        "name": name,
        "description": description,
    }


def to_f32(t):
    return t.detach().to(torch.float32).numpy()


def activations(model64, x, c, z):
    with torch.no_grad():
        _, acts = model64(x.double(), c, z.double(), return_intermediates=True)
    acts["e"] = acts["e"][0]  # [shared_dim]: the class code of the single image
    return acts


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.make_fixtures", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="output folder (default: Tests/ModelTests/Fixtures)")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    args.out = args.out or paths.repo_path("Tests", "ModelTests", "Fixtures")
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)

    cfg = bigcolor.TINY_CONFIG
    model = bigcolor.Colorizer(cfg, official=False)
    bigcolor.randomize_(model, seed=args.seed)
    bigcolor.calibrate_bn_(model, seed=args.seed + 1)
    model_path = os.path.join(args.out, "tiny.safetensors")
    weights = {k: to_f32(v) for k, v in model.state_dict().items()}
    save_file(weights, model_path, metadata=model_metadata(
        cfg, "tiny-random",
        f"Random weights for unit tests, from kinecolor_training.make_fixtures --seed {args.seed}"))

    # Reload so the reference uses exactly the stored float32 weights, then go float64.
    model32, _ = bigcolor.load_folded(model_path, torch.float32)
    model64, _ = bigcolor.load_folded(model_path, torch.float64)

    g = torch.Generator().manual_seed(args.seed + 2)
    cases = [
        ("tiny_activations.safetensors", 32, 48, 3, None),
        ("tiny_activations_b.safetensors", 48, 32, 7, ("x", "z", "out")),
    ]
    for filename, h, w, cls, keep in cases:
        # Inputs are generated in float32 so that the stored F32 values are the exact inputs.
        x = bigcolor.random_gray(1, h, w, g).to(torch.float32)
        z = (torch.randn(cfg["dim_z"], generator=g) * 0.8).to(torch.float32)
        acts = activations(model64, x, cls, z)
        tensors = {"x": to_f32(x), "z": to_f32(z)}
        for name, value in acts.items():
            tensors[name] = to_f32(value)
        if keep:
            tensors = {k: tensors[k] for k in keep}
        else:
            order = ["x", "z", "e"] + [f"E.res{k}" for k in range(1, 6)] + [
                "G.blocks.2", "G.blocks.3.0", "G.blocks.3.1", "G.blocks.4", "G.blocks.5", "out"]
            assert list(tensors) == order or set(tensors) == set(order), sorted(tensors)
            tensors = {k: tensors[k] for k in order}
        save_file(tensors, os.path.join(args.out, filename), metadata={
            "class": str(cls),
            "model": "tiny.safetensors",
            "description": "float64 PyTorch reference (kinecolor_training.bigcolor) stored as F32; out is the tanh output",
        })

        with torch.no_grad():
            out32 = model32(x, cls, z)
            other = model64(x.double(), (cls + 1) % cfg["num_classes"], z.double())
        out = acts["out"]
        attn = (acts["G.blocks.3.1"] - acts["G.blocks.3.0"]).abs().mean().item()
        print(f"{filename}: x {list(x.shape)} class {cls}: out range [{out.min():.3f}, {out.max():.3f}] "
              f"std {out.std():.3f}, |out|>0.98: {(out.abs() > 0.98).double().mean():.3%}, "
              f"mean|attention delta| {attn:.3f}, mean|out(class+1)-out| {(other - out).abs().mean():.3f}, "
              f"float32 vs float64 max|diff| {(out32.double() - out).abs().max():.2e}")

    total = 0
    for name in sorted(os.listdir(args.out)):
        if name.endswith(".safetensors"):
            size = os.path.getsize(os.path.join(args.out, name))
            total += size
            print(f"  {name}: {size:,} bytes")
    print(f"  total {total:,} bytes")


if __name__ == "__main__":
    main()
