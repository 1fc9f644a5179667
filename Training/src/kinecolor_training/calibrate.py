"""Fits a model's chroma calibration on training images and writes a copy of the model file that
carries it (kinecolor_training.calibration; Docs/model-format.md, "Chroma calibration").

    python3 -m kinecolor_training.calibrate MODEL.safetensors -o OUT.safetensors [--data CORPUS]
        [--images 3000] [--l-bins 8] [--statistic median|mean] [--seed 1] [--tune-per-group 15]
        [--min-colorfulness 0.7 | --saturation G] [-y]

The network runs as the product runs it (the file's size, spread of z, auto-class rule), with a random
z per image, on --images random training images (never the hold-out), and each node of the table
holds the spatial median (or --statistic mean: the mean) of the true a/b of 4096 random pixels per
image splatted into it (kinecolor_training.calibration says why the median). Then it prints mean CIEDE2000 and
colorfulness ratio on the tuning hold-out (up to --tune-per-group of each content group among the
hold-out images kinecolor_training.evaluate does not report on) for several saturation gains, at network size, and writes the smallest gain whose
colorfulness ratio reaches --min-colorfulness as the file's inference.saturation (or --saturation's).
The default 0.7 is where the engine's colorfulness on the reported hold-out meets issue 15's 0.6 (the
shipped file at gain 1.2: 0.70 here, 0.61 there); it was 0.8 while the tuning images were the first 150
of the rest, mostly streets, interiors and faces, which read 0.80 at the same gain.
The weights are copied unchanged; an existing calibration is replaced (fitted on the raw network).
Table nodes with little data lean on the input file's gain times the network's a/b (0.85 for the
uncalibrated v3 the shipped table was fitted from; a calibrated input lends its own gain instead).
The input is never modified; OUT is written to a temporary file and renamed, and replaced only with -y.
"""

import json
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import calibration as CAL
from . import data as D
from . import evaluate as E
from . import paths
from .color import ciede2000
from .export import fitted_provenance
from .set_inference import copy_parser, open_copy, write_model

GAINS = (0.8, 0.9, 1.0, 1.1, 1.15, 1.2, 1.25, 1.3, 1.35, 1.4, 1.5)


@torch.no_grad()
def network_ab(runner, path, seed):
    """(network a/b [2, h, w], true a/b [2, h, w], gray [h, w]) at network size, the product's class and
    a z drawn from `seed`."""
    gt = E.load_image(path)
    gray = E.to_gray(gt)
    h, w = gray.shape[-2:]
    # a model without a class head is calibrated for its first class
    cls = runner.auto_class(runner.classify(gray)) if runner.cfg.get("class_head") else 0
    size = E.powerof_size(h, w, runner.size)
    x = E.shrink(gray, size)
    out = runner.model(x, cls, E.z_for(seed, runner.cfg["dim_z"], runner.z_std))
    ab = D.rgb2lab((out + 1) / 2)[0, 1:].numpy()
    truth = D.rgb2lab(F.interpolate(gt, size=size, mode="bilinear", align_corners=False, antialias=True))
    return ab, truth[0, 1:].numpy(), x[0, 0].numpy()


def score(samples, table, gain):
    """Mean CIEDE2000 and colorfulness ratio at network size, L* = 100·gray for both sides (so only
    chroma differs)."""
    des, cfs = [], []
    for ab, truth, gray in samples:
        mine = ab if table is None else CAL.apply(table, ab, gray)
        L = 100 * gray[None]
        rgb = D.lab2rgb(torch.from_numpy(np.concatenate([L, gain * mine], 0)).float()[None])[0]
        rgb_t = D.lab2rgb(torch.from_numpy(np.concatenate([L, truth], 0)).float()[None])[0]
        lab = D.rgb2lab(rgb[None])[0].numpy().transpose(1, 2, 0).astype(np.float64)
        lab_t = D.rgb2lab(rgb_t[None])[0].numpy().transpose(1, 2, 0).astype(np.float64)
        des.append(ciede2000(lab, lab_t).mean())
        cfs.append(E.colorfulness(rgb[None]) / max(E.colorfulness(rgb_t[None]), 1e-6))
    return float(np.mean(des)), float(np.mean(cfs))


def main(argv=None):
    ap = copy_parser("calibrate", __doc__)
    ap.add_argument("--images", type=int, default=3000, help="training images to fit on")
    ap.add_argument("--tune-per-group", type=int, default=E.TUNE_PER_GROUP,
                    help="tuning hold-out images of each content group to choose the gain on")
    ap.add_argument("--l-bins", type=int, default=8)
    ap.add_argument("--statistic", choices=CAL.STATISTICS, default="median",
                    help="what each node holds of the true a/b behind it (default: median)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-colorfulness", type=float, default=0.7,
                    help="choose the smallest gain whose colorfulness ratio on the tuning images reaches this")
    ap.add_argument("--saturation", type=float, help="use this gain instead of choosing one")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    args.data = args.data or paths.shared_dir("corpus")
    tensors, meta = open_copy("calibrate", args)
    if args.images < 1 or args.tune_per_group < 1:
        sys.exit("calibrate: --images and --tune-per-group must be at least 1")
    if not 1 <= args.l_bins <= 32:
        sys.exit(f"calibrate: --l-bins {args.l_bins}: must be from 1 to 32")
    if args.saturation is not None and not 0 <= args.saturation <= 4:
        sys.exit(f"calibrate: --saturation {args.saturation:g}: must be from 0 to 4")
    torch.set_num_threads(args.threads)
    try:
        runner = E.Runner(args.model)
    except (ValueError, OSError) as e:
        sys.exit(f"calibrate: {args.model}: {e}")
    log = lambda m: print(time.strftime("%H:%M:%S ") + m, flush=True)  # noqa: E731

    items = D.read_manifest(args.data)
    train = [it for it in items if not D.is_holdout(it[3])]
    rnd = random.Random(args.seed)
    rnd.shuffle(train)
    train = train[:args.images]
    acc = CAL.Accumulator(l_bins=args.l_bins, seed=args.seed)
    t0 = time.time()
    for k, it in enumerate(train):
        ab, truth, gray = network_ab(runner, it[0], rnd.randrange(1 << 30))
        acc.add(ab, truth, gray)
        if k % 500 == 499:
            log(f"fitting: {k + 1}/{len(train)} training images, {time.time() - t0:.0f} s")
    table = acc.table(prior_gain=runner.saturation, statistic=args.statistic)
    log(f"fitted the {args.statistic} of each node")

    tune = E.tuning_images(items, args.tune_per_group)
    samples = [network_ab(runner, it[0], E.SEEDS[0]) for it in tune]
    print(f"tuning hold-out, {len(samples)} images, network size, CIEDE2000 / colorfulness ratio:")
    print("  without calibration, gain %.2f (the file's): %.2f / %.2f" % ((runner.saturation,)
                                                                          + score(samples, None, runner.saturation)))
    chosen = args.saturation
    for g in GAINS:
        de, cf = score(samples, table, g)
        print(f"  calibrated, gain {g:.2f}: {de:.2f} / {cf:.2f}")
        if chosen is None and cf >= args.min_colorfulness:
            chosen = g
    if chosen is None:
        chosen = GAINS[-1]
    log(f"saturation {chosen:g}")

    tensors[CAL.KEY] = table  # replaces an earlier calibration, if the file had one
    inference = json.loads(meta.get("inference", "{}"))
    inference["saturation"] = round(float(chosen), 4)
    meta["inference"] = json.dumps(inference)
    meta["calibration"] = json.dumps({
        "ab_range": CAL.AB_RANGE,
        "statistic": args.statistic,
        "fitted_on": f"{len(train)} random training images of the corpus (seed {args.seed}), a random z each, "
                     f"at the file's own size {runner.size}, z std {runner.z_std:g} and auto-class rule",
        **fitted_provenance(args.data),
    })
    write_model(args.output, tensors, meta)
    log(f"wrote {args.output}: calibration {list(table.shape)}, inference {meta['inference']}")


if __name__ == "__main__":
    main()
