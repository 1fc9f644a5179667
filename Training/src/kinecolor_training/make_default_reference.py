"""Reference output of the embedded default model, for the Swift test that checks the shipped file.

    python3 -m kinecolor_training.make_default_reference [--model Sources/Weights/kinecolor-default-v3.safetensors]

Writes Tests/ModelTests/Fixtures/default_reference.safetensors: a fixed synthetic gray input x
[1,1,64,96] (smooth shapes and a ramp, no image data), z [dim_z] from a fixed numpy seed, class 1
(metadata `class`), the tanh output `out` computed in float64 by the PyTorch reference, and, when the
model has a class head, the class probabilities `probs` for x.
"""

import argparse

import numpy as np
import torch
from safetensors.numpy import save_file

from . import bigcolor
from . import paths


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.make_default_reference", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="model file (default: Sources/Weights/kinecolor-default-v3.safetensors)")
    ap.add_argument("--out", help="output (default: Tests/ModelTests/Fixtures/default_reference.safetensors)")
    args = ap.parse_args()
    args.model = args.model or paths.repo_path("Sources", "Weights", "kinecolor-default-v3.safetensors")
    args.out = args.out or paths.repo_path("Tests", "ModelTests", "Fixtures", "default_reference.safetensors")
    model, meta = bigcolor.load_folded(args.model, dtype=torch.float64)
    cfg = model.config
    yy, xx = np.mgrid[0:64, 0:96].astype(np.float64)
    x = 0.25 + 0.5 * xx / 95
    x += 0.3 * np.exp(-((yy - 30) ** 2 + (xx - 40) ** 2) / 200.0)
    x -= 0.2 * ((np.abs(yy - 45) < 8) & (np.abs(xx - 70) < 12))
    x = np.clip(x, 0, 1).astype(np.float32)[None, None]
    z = (np.random.default_rng(7).standard_normal(cfg["dim_z"]) * 0.8).astype(np.float32)
    cls = 1
    with torch.no_grad():
        out = model(torch.from_numpy(x).double(), cls, torch.from_numpy(z).double()).numpy().astype(np.float32)
        tensors = {"x": x, "z": z, "out": out}
        if cfg.get("class_head"):
            tensors["probs"] = torch.softmax(model.classify(torch.from_numpy(x).double()), dim=1).numpy().astype(np.float32)[0]
    save_file(tensors, args.out, metadata={"class": str(cls), "model_name": meta.get("name", "")})
    print(f"wrote {args.out}: out range ±{np.abs(out).max():.3f}")


if __name__ == "__main__":
    main()
