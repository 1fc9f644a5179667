"""Chooses a model's inference defaults (network size, saturation, spread of z, auto-class fallback threshold) on
hold-out images that kinecolor_training.evaluate does not report on, so the reported numbers stay untuned:
up to --tune-per-group of each content group (kinecolor_training.evaluate.tuning_images).

    python3 -m kinecolor_training.tune_inference runs/NAME/ckpt.pt|MODEL.safetensors [--data ../shared/corpus] [--tune-per-group 15] [--per-group 25]

Prints, for every network size and spread of z, the mean CIEDE2000 (product path, L = 100 gray) and colorfulness ratio
for each saturation gain (applied after the file's chroma calibration, if it has one, as the product
applies it), with the class head's top class ('auto'), with 'general', and with the
fallback rule at several thresholds; then the same for Kodak24 for reference (not used to choose).

With --class-thresholds, also a threshold of its own for one class at a time (the file's
`auto_class_min_probability_by_class`), the others staying at --base-threshold: per class the head puts
on top below that base, the mean CIEDE2000 over all images and over the images the manifests give that
class. A class whose colors "general" gets wrong (water under sport) can pay to keep at a lower
probability; the whole set's mean hardly moves, since few images change, so look at the class's own.
"""

import argparse
import os

import numpy as np
import torch

from . import calibration as CAL
from . import data as D
from . import evaluate as E
from . import paths
from .bigcolor import Colorizer, load_folded

THRESHOLDS = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.tune_inference", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ckpt")
    ap.add_argument("--data", help="corpus root (default: ../shared/corpus next to the repository, or $KINECOLOR_SHARED/corpus)")
    ap.add_argument("--tune-per-group", type=int, default=E.TUNE_PER_GROUP,
                    help="tuning images of each content group (those evaluate does not report on)")
    ap.add_argument("--per-group", type=int, default=25,
                    help="evaluate's --per-group: the images it reports on are left out of tuning")
    ap.add_argument("--sizes", default="128,160,192,256")
    ap.add_argument("--saturations", default="1.0,1.1,1.2,1.3,1.4")
    ap.add_argument("--z-stds", default="0.8", help="standard deviations of z to try (z from seed 1, scaled)")
    ap.add_argument("--kodak", action="store_true", help="also print Kodak24 (reference only)")
    ap.add_argument("--class-thresholds", default="",
                    help="per-class thresholds to try, e.g. 0.2,0.3,0.4,0.5,0.6 (one class at a time)")
    ap.add_argument("--base-threshold", type=float, default=0.7,
                    help="the other classes' threshold while one class's own is tried (default 0.7)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    args.data = args.data or paths.shared_dir("corpus")
    torch.set_num_threads(args.threads)
    if args.ckpt.endswith(".safetensors"):  # an exported model: its weights are what the product runs
        model = load_folded(args.ckpt)[0]
    else:
        ck = torch.load(args.ckpt, weights_only=False, map_location="cpu")
        model = Colorizer(ck["config"], official=False)
        model.load_state_dict(ck["ema_calibrated"] if "ema_calibrated" in ck else ck["ema"])
    model.eval()
    # a calibrated file's table comes before the gain (Docs/model-format.md), as in the product
    table = getattr(model, "calibration", None)
    sizes = [int(s) for s in args.sizes.split(",")]
    sats = [float(s) for s in args.saturations.split(",")]
    zstds = [float(s) for s in args.z_stds.split(",")]
    class_ts = [float(t) for t in args.class_thresholds.split(",") if t]

    # evaluate reports on the first --per-group images of each content group; tune on the others
    tune = E.tuning_images(D.read_manifest(args.data), args.tune_per_group, args.per_group)
    sets = [("tuning hold-out", [(it[0], it[1]) for it in tune])]
    if args.kodak:
        val = os.path.join(args.data, "val")
        sets.append(("Kodak24 (reference)", [(os.path.join(val, f), None) for f in sorted(os.listdir(val))
                                             if f.endswith(".jpg")]))
    # one direction of z, scaled: a smaller spread keeps the seed's choice of colors but not as far from the mean
    z1 = E.z_for(1, model.config["dim_z"]) / E.Z_STD
    for label, images in sets:
        # per image: top-class probability, and metrics[size][variant][sat]
        probs, tops, rows = [], [], []
        for path, _ in images:
            gt = E.load_image(path)
            gray = E.to_gray(gt)
            gl, cf = E.lab_np(gt), E.colorfulness(gt)
            h, w = gray.shape[-2:]
            r = {}
            with torch.no_grad():
                xc = E.shrink(gray, E.powerof_size(h, w, 128))
                p = torch.softmax(model.classify(xc)[0], 0)
                probs.append(float(p.max()))
                tops.append(int(p.argmax()))
                for s in sizes:
                    x = E.shrink(gray, E.powerof_size(h, w, s))
                    for variant, c in (("auto", int(p.argmax())), ("general", D.GENERAL)):
                        for zs in zstds:
                            out = model(x, c, z1 * zs)
                            ab = D.rgb2lab((out + 1) / 2)[0, 1:].numpy()
                            if table is not None:  # calibrated at network size, as the product
                                ab = CAL.apply(table, ab, x[0, 0].numpy())
                            ab = torch.from_numpy(ab)[None]
                            for g in sats:
                                img = E.fuse_like_engine(gray, x, ab * g)
                                r[(s, variant, zs, g)] = E.metrics(img, gt, gl, cf)
            rows.append(r)
        probs = np.array(probs)
        print(f"\n{label}: {len(images)} images; class-head top probability median {np.median(probs):.2f}")
        print("size  z    sat   " + "  ".join(f"t={t:<4g}dE/cf " for t in THRESHOLDS))
        for s in sizes:
            for zs in zstds:
                for g in sats:
                    cells = []
                    for t in THRESHOLDS:
                        m = np.mean([r[(s, "auto" if pm >= t else "general", zs, g)]
                                     for r, pm in zip(rows, probs)], 0)
                        cells.append(f"{m[0]:6.2f}/{m[3]:.2f}")
                    print(f"{s:4d}  {zs:.2f} {g:.2f}  " + "  ".join(cells))
        if class_ts:
            print_class_thresholds(rows, probs, tops, [c for _, c in images], sizes, zstds, sats,
                                   args.base_threshold, class_ts)


def print_class_thresholds(rows, probs, tops, true_classes, sizes, zstds, sats, base, class_ts):
    """One class's own threshold at a time, the others at `base`: the rule the engine applies
    (InferenceDefaults.autoClass)."""
    names = D.CLASS_NAMES
    # only a class the head puts on top below the base can change anything
    classes = sorted({k for k, pm in zip(tops, probs) if pm < base and k != D.GENERAL})
    ts = [base] + [t for t in class_ts if t != base]
    print(f"\nper-class thresholds (the others at p {base:g}); CIEDE2000 all images / the class's own images")
    print("size  z    sat   class       top<base own  " + "  ".join(f"t={t:<4g}all/own  " for t in ts))
    for s in sizes:
        for zs in zstds:
            for g in sats:
                for k in classes:
                    own = [i for i, c in enumerate(true_classes) if c == k]
                    below = sum(1 for top, pm in zip(tops, probs) if top == k and pm < base)
                    cells = []
                    for t in ts:
                        de = np.array([r[(s, "auto" if pm >= (t if top == k else base) else "general", zs, g)][0]
                                       for r, pm, top in zip(rows, probs, tops)])
                        mine = f"{de[own].mean():6.2f}" if own else "     -"
                        cells.append(f"{de.mean():6.2f}/{mine}")
                    print(f"{s:4d}  {zs:.2f} {g:.2f}  {names[k][:10]:<10}  {below:8d} {len(own):3d}  "
                          + "  ".join(cells))


if __name__ == "__main__":
    main()
