"""Exports a kinecolor_training.train checkpoint to a Kinecolor model file (Docs/model-format.md, folded keys + C.*).

    python3 -m kinecolor_training.export runs/NAME/ckpt.pt -o Sources/Weights/kinecolor-default-v3.safetensors [--f16]

Uses the EMA weights with recomputed BN statistics (`ema_calibrated`) when the run finished,
else the EMA weights with the trained model's running statistics.
"""

import argparse
import datetime
import json
import os
import subprocess

import numpy as np
import torch
from safetensors.numpy import save_file

from . import data as D
from . import paths
from . import train as T
from .bigcolor import Colorizer, load_folded

HERE = os.path.dirname(os.path.abspath(__file__))

DESCRIPTION = ("Kinecolor's default colorizer: a narrow BigColor-family network (encoder + class/z-conditioned "
               "generator, {gflop:.1f} GFLOP at 256x256) trained from scratch on {n} color photographs with "
               "simulated film degradations, and a class head for --class auto. Classes: {classes}.")
LICENSE = ("Kinecolor's own model, released with Kinecolor under the project's license. It was trained on "
           "images licensed for non-commercial research only (ImageNet sample, Pixabay, BSDS500, Urban100, "
           "SUN, Wikimedia, Debian wallpapers, Intel scene classification, house photos, Clothing Co-Parsing, "
           "UTKFace, Flickr8k, Kaggle Flowers Recognition, the PyImageSearch animals set (Kaggle Dogs vs Cats, "
           "ImageNet), Food-101, web sports photos, Kaggle Car vs Bike; see the corpus manifests): no training image is included in this file.")


def git_commit():
    try:
        return subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=HERE, text=True).strip()
    except Exception:
        return "unknown"


def fitted_provenance(data_root):
    """What a fit after training (calibration, class head) records of where it came from: the corpus
    manifests' hash and the commit of the code that fitted it."""
    return {"corpus_sha256": D.corpus_hash(data_root), "git_commit": git_commit()}


def product_code(r):
    q = r.get("product_code", 0)
    if not q:
        return ""
    return (f"; class code: the true class {100 * (1 - r['general_dropout'] - q):.0f}% of the time, 'general' "
            f"{100 * r['general_dropout']:.0f}%, the starting file's --class auto {100 * q:.0f}%")


def where(ck):
    """Where a run trained and from what: the corpus on 2 CPU cores (the recipe), or a pack on a device."""
    pack = ck.get("pack")
    if not pack:
        return "2 CPU cores"
    return (f"{ck.get('device', 'cpu')} from the pack {pack['file']} ({pack['count']} training images as "
            f"{pack['side']} px WebP squares, quality {pack['quality']}), crops and film look as batched tensor "
            f"operations, batch {ck['recipe']['batch']} then {ck['recipe']['final_batch']}")


def recipe_summary(ck):
    r = ck["recipe"]
    # A boost changes what the network saw, so a file trained with one has to say so.
    boost = r.get("content_boost") or {}
    drawn = "images drawn by (class size)^-0.5" + (
        ", content groups " + ", ".join(f"{g} x{w:g}" for g, w in sorted(boost.items())) if boost else "")
    init = ck.get("init")
    if init:
        # A second stage is only reproducible from its first, so the first stage's recipe comes along.
        return (f"{init['training_recipe']} Then a second stage, kinecolor_training.train --init "
                f"{init['file']} (sha256 {init['sha256'][:12]}): {ck['step']} steps, {ck['images']} images seen, "
                f"{ck['elapsed'] / 60:.0f} min ({'bf16 autocast' if ck.get('precision') == 'bf16' else 'float32'}); "
                f"{drawn}; crops {r['size']} px; the same losses; Adam {r['lr_g']} cosine after {r['warmup_steps']} "
                f"warm-up steps, a new critic from {100 * (r['adv_start'] - r['critic_lead']):.0f}% of the stage, "
                f"EMA {r['ema']}, standing BN statistics" + product_code(r) + ".")
    return (f"kinecolor_training.train: {ck['step']} steps, {ck['images']} images seen, {ck['elapsed'] / 60:.0f} min "
            f"on {where(ck)} "
            f"({'bf16 autocast' if ck.get('precision', 'bf16') == 'bf16' else 'float32, channels_last'}); {drawn}; "
            f"crops {r['size']} px, last {100 * (1 - r['final_frac']):.0f}% at {r['final_size']} px; "
            f"gray input from random pan/orthochromatic channel mixes with grain, blur, tone curves, flicker, JPEG; "
            f"loss on Lab ab of the output: smooth-L1 over two z ({r['w_rec_min']} min + {r['w_rec_mean']} mean), "
            f"L* L1 x{r['w_L']}, z-diversity hinge x{r['w_div']} (margin {r['div_margin']}), class-projection "
            f"PatchGAN hinge x{r['w_adv']}, class-head cross-entropy x{r['w_cls']}; Adam {r['lr_g']} cosine, "
            f"EMA {r['ema']}, standing BN statistics; true class {100 * (1 - r['general_dropout']):.0f}% of the time, "
            f"else 'general'.")


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.export", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ckpt")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--f16", action="store_true", help="store float16 (the engine widens to float32)")
    ap.add_argument("--raw", action="store_true", help="use the raw (non-EMA) weights")
    ap.add_argument("--data", help="corpus root, for corpus_hash (default: ../shared/corpus next to the repository, "
                                    "or $KINECOLOR_SHARED/corpus)")
    ap.add_argument("--name", default="kinecolor-default-v3")
    ap.add_argument("--size", type=int, default=256, help="inference.size: the network short side it runs at")
    ap.add_argument("--saturation", type=float, default=1.0, help="inference.saturation: gain on a/b")
    ap.add_argument("--z-std", type=float, default=None, help="inference.z_std: spread of z (absent: 0.8)")
    ap.add_argument("--auto-min-prob", type=float, default=0.0,
                    help="inference.auto_class_min_probability (with --auto-fallback)")
    ap.add_argument("--auto-fallback", default=None, help="inference.auto_class_fallback, e.g. general")
    args = ap.parse_args()
    args.data = args.data or paths.shared_dir("corpus")

    ck = torch.load(args.ckpt, weights_only=False, map_location="cpu")
    cfg = ck["config"]
    if args.raw:
        state, which = ck["model"], "raw"
    elif "ema_calibrated" in ck:
        state, which = ck["ema_calibrated"], "EMA, standing BN statistics"
    else:
        state, which = ck["ema"], "EMA (run not finished)"
    model = Colorizer(cfg, official=False)
    model.load_state_dict(state, strict=True)
    sd = model.state_dict()
    dtype = np.float16 if args.f16 else np.float32
    # contiguous: a channels_last training checkpoint must be written in the file's NCHW order
    tensors = {k: v.detach().float().contiguous().numpy().astype(dtype) for k, v in sd.items()}

    n_train = len([it for it in D.read_manifest(args.data) if not D.is_holdout(it[3])])
    meta = {
        "format": "kinecolor.bigcolor",
        "architecture_version": "1",
        "config": json.dumps(cfg),
        "class_names": json.dumps(ck["class_names"]),
        "name": args.name,
        "description": DESCRIPTION.format(gflop=T.gflops(cfg), n=n_train, classes=", ".join(ck["class_names"])),
        "source": f"trained by kinecolor_training.train; weights: {which}",
        "license": LICENSE,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_commit": git_commit(),
        "corpus_hash": D.corpus_hash(args.data),
        "corpus_manifests": json.dumps(D.manifest_hashes(args.data)),
        "training_recipe": recipe_summary(ck),
    }
    inference = {"size": args.size, "saturation": args.saturation}
    if args.z_std is not None:
        inference["z_std"] = args.z_std
    if args.auto_fallback:
        if args.auto_fallback not in ck["class_names"]:
            raise SystemExit(f"--auto-fallback {args.auto_fallback!r} is not one of {ck['class_names']}")
        inference.update(auto_class_min_probability=args.auto_min_prob, auto_class_fallback=args.auto_fallback)
    meta["inference"] = json.dumps(inference)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    save_file(tensors, args.output, metadata=meta)

    # Round trip: the folded loader must accept the file and reproduce the checkpoint's output.
    loaded, _ = load_folded(args.output)
    model.eval()
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 1, 64, 96, generator=g)
    z = torch.randn(cfg["dim_z"], generator=g) * T.Z_STD
    with torch.no_grad():
        diff = (loaded(x, 1, z) - model(x, 1, z)).abs().max().item()
        cdiff = (loaded.classify(x) - model.classify(x)).abs().max().item()
    size = os.path.getsize(args.output)
    print(f"wrote {args.output}: {len(tensors)} tensors, {size / 1e6:.2f} MB, {which}; "
          f"round-trip max |diff| {diff:.2e} (class logits {cdiff:.2e})")


if __name__ == "__main__":
    main()
