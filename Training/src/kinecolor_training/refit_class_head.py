"""Fits a model's class head again, on the frozen encoder, and writes a copy of the model file that
carries it (Docs/model-format.md, `class_head` in the config).

    python3 -m kinecolor_training.refit_class_head MODEL.safetensors -o OUT.safetensors [--data CORPUS]
        [--degraded 1] [--weight-decay 1e-4] [--class-weight none|sqrt] [--general] [--cache FEATURES.pt]
        [--seed 1] [-y]

During training the class head (`C`, a linear layer on the encoder's output averaged over all positions,
the encoder run on a zero class code) is one small loss among many, and it ends underfitted: the first
v3 network's head was right on 62.8 % of the hold-out, the fourth run's on 47.7 %. Its input does not
change once the network is trained, so the best linear head for it is a convex problem: this tool
computes that input for every training image of the corpus (never the hold-out), as the product
computes it (the luma, resized to a short side of 128), plus --degraded film-like copies of each
(kinecolor_training.data.degrade: channel mixes, grain, blur, flicker, JPEG), and fits a multinomial
logistic regression (L-BFGS, L2 penalty --weight-decay on standardized features) to the images'
classes, every image alike (--class-weight sqrt weights each by (its class's size)^-0.5, as training
draws them; on the shipped network it was worse on the tuning images, Training/README.md, "A second
stage"). "general" is not a target (as in training: it is the fallback for mixed content), so its
row gets no weight and a bias far below the others; with --general it is one, fitted on the corpus's
unlabelled mixed-content training images, so that pictures like those (Kodak24's are) can get it
from the head itself rather than only from the fallback threshold.

It prints the old and the new head's accuracy on the hold-out and, for the auto-class rule, how often
each threshold answers the right class or falls back; choose the threshold with tune_inference or
set_inference afterwards. Every other tensor and metadata key is copied unchanged; the file's
`class_head` metadata records how the head was fitted. The input is never modified; OUT is written to a
temporary file and renamed, and replaced only with -y.
"""

import hashlib
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import data as D
from . import evaluate as E
from . import paths
from .export import fitted_provenance
from .set_inference import copy_parser, open_copy, write_model

CLASS_SIZE = 128  # the short side the product classifies at (as evaluate.Runner.classify)
THRESHOLDS = (0.5, 0.6, 0.7, 0.8)
GENERAL_BIAS = -30.0  # far below any fitted logit: 'general' comes only from the fallback rule
CLASS_POWERS = {"none": 0.0, "sqrt": 0.5}


def encoder_digest(tensors):
    """sha256 over the encoder's tensors (E.*): what the class head's input depends on."""
    h = hashlib.sha256()
    for k in sorted(t for t in tensors if t.startswith("E.")):
        h.update(k.encode())
        h.update(np.ascontiguousarray(tensors[k]).tobytes())
    return h.hexdigest()


@torch.no_grad()
def features(runner, rgb, rnd=None):
    """The class head's input [C] for one color image [1, 3, H, W]: the luma (or, with `rnd`, a
    film-like degraded gray), resized to a short side of 128, through the encoder on a zero code."""
    h, w = rgb.shape[-2:]
    size = E.powerof_size(h, w, CLASS_SIZE)
    if rnd is None:
        x = E.shrink(E.to_gray(rgb), size)
    else:  # degraded at the network's scale, as training degrades its crops
        small = E.shrink(rgb, size)
        x = D.degrade(small.clamp(0, 1), rnd, strength=1.0)
    _, f = runner.model.classify(x, return_features=True)
    return f.mean(dim=(2, 3))[0]


def save_cache(path, content):
    tmp = path + ".tmp"
    torch.save(content, tmp)
    os.replace(tmp, path)


def fit(x, y, num_classes, weight_decay, general=0, iterations=500, class_power=0.0):
    """Multinomial logistic regression of y (never `general`; with general=None every class is a
    target) on x [N, C], each sample weighted by its class's size to the power -class_power; returns
    (weight [K, C], bias [K]) for raw features."""
    mu, sd = x.mean(0), x.std(0) + 1e-6
    xs = (x - mu) / sd
    keep = [k for k in range(num_classes) if k != general]
    target = torch.tensor([keep.index(int(c)) for c in y])
    counts = torch.bincount(target, minlength=len(keep)).clamp(min=1).float()
    class_weight = counts ** -class_power
    torch.manual_seed(0)
    lin = torch.nn.Linear(x.shape[1], len(keep))
    opt = torch.optim.LBFGS(lin.parameters(), max_iter=iterations, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(lin(xs), target, weight=class_weight) + weight_decay * (lin.weight ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    weight = torch.zeros(num_classes, x.shape[1])
    bias = torch.full((num_classes,), GENERAL_BIAS)
    with torch.no_grad():  # fold the standardization into the layer
        weight[keep] = lin.weight / sd
        bias[keep] = lin.bias - (lin.weight * mu / sd).sum(1)
    return weight, bias


def rule_table(logits, y, thresholds=THRESHOLDS):
    """[(threshold, right share, fallback share)] of the auto-class rule on labelled logits."""
    p = torch.softmax(logits, 1)
    top, pmax = p.argmax(1), p.max(1).values
    return [(t, float(((top == y) & (pmax >= t)).float().mean()), float((pmax < t).float().mean()))
            for t in thresholds]


def compute_features(runner, items, rnd, degraded, log=None):
    """[features] and [class] of `items`, the luma and `degraded` film-like copies of each."""
    xs, ys, t0 = [], [], time.time()
    for k, it in enumerate(items):
        rgb = E.load_image(it[0])
        for copy in range(1 + degraded):
            xs.append(features(runner, rgb, rnd if copy else None))
            ys.append(it[1])
        if log and k % 2000 == 1999:
            log(f"features: {k + 1}/{len(items)} training images, {time.time() - t0:.0f} s")
    return torch.stack(xs), torch.tensor(ys)


def main(argv=None):
    ap = copy_parser("refit_class_head", __doc__)
    ap.add_argument("--degraded", type=int, default=1, help="film-like copies of each training image (0: luma only)")
    ap.add_argument("--weight-decay", type=float, default=1e-4, help="L2 penalty on standardized features")
    ap.add_argument("--class-weight", choices=tuple(CLASS_POWERS), default="none",
                    help="weight of an image: 1 (none) or (its class's size)^-0.5 (sqrt, as training draws)")
    ap.add_argument("--general", action="store_true",
                    help="also fit 'general' as a class, on the corpus's unlabelled mixed-content training "
                         "images, so the head can answer it itself (not only through the fallback)")
    ap.add_argument("--cache", help="keep the computed features in this file and reuse them when it "
                                    "matches the model file and options (a fit then takes seconds)")
    ap.add_argument("--limit", type=int, default=0, help="only N training images (smoke tests)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    args.data = args.data or paths.shared_dir("corpus")
    tensors, meta = open_copy("refit_class_head", args)
    try:
        runner = E.Runner(args.model)
    except (ValueError, OSError) as e:
        sys.exit(f"refit_class_head: {e}")
    if not runner.cfg.get("class_head") or "C.weight" not in tensors:
        sys.exit(f"refit_class_head: {args.model} has no class head (config class_head is false)")
    if args.degraded < 0 or not args.weight_decay >= 0:
        sys.exit("refit_class_head: --degraded and --weight-decay must not be negative")
    names = runner.names or list(D.CLASS_NAMES)
    if list(names) != list(D.CLASS_NAMES):
        sys.exit(f"refit_class_head: the model's classes {names} are not the corpus's {list(D.CLASS_NAMES)}")
    general = D.CLASS_INDEX["general"]
    torch.set_num_threads(args.threads)
    log = lambda m: print(time.strftime("%H:%M:%S ") + m, flush=True)  # noqa: E731

    items = [it for it in D.read_manifest(args.data) if it[1] != general]
    train = [it for it in items if not D.is_holdout(it[3])]
    hold = [it for it in items if D.is_holdout(it[3])]
    if args.limit:
        train = random.Random(args.seed).sample(train, min(args.limit, len(train)))
    # The features depend on the encoder, the resize and which images and copies; nothing else of the file.
    key = {"encoder": encoder_digest(tensors), "degraded": args.degraded, "seed": args.seed, "shrink": "area",
           "images": [it[3] for it in train], "hold": [it[3] for it in hold]}
    cached = torch.load(args.cache, weights_only=False) if args.cache and os.path.exists(args.cache) else None
    if cached is not None and cached["key"] == key:
        x_train, y_train, x_hold = cached["x_train"], cached["y_train"], cached["x_hold"]
        log(f"features from {args.cache}")
    else:
        x_train, y_train = compute_features(runner, train, random.Random(args.seed), args.degraded, log)
        x_hold = torch.stack([features(runner, E.load_image(it[0])) for it in hold])
        cached = {"key": key, "x_train": x_train, "y_train": y_train, "x_hold": x_hold}
        if args.cache:
            save_cache(args.cache, cached)
    y_hold = torch.tensor([it[1] for it in hold])
    log(f"features of {len(train)} training images ({1 + args.degraded} each) and {len(hold)} hold-out images")
    if args.general:
        # after the labelled images, from a stream of their own, so the cache of those stays valid
        mixed = [it for it in D.read_manifest(args.data) if it[1] == general and not D.is_holdout(it[3])]
        general_key = [it[3] for it in mixed]
        if cached.get("general_key") == general_key:
            x_mixed, y_mixed = cached["x_general"], cached["y_general"]
        else:
            x_mixed, y_mixed = compute_features(runner, mixed, random.Random(f"general {args.seed}"), args.degraded)
            if args.cache:
                save_cache(args.cache, {**cached, "general_key": general_key, "x_general": x_mixed,
                                        "y_general": y_mixed})
        log(f"features of {len(mixed)} unlabelled training images, as 'general'")
        x_train, y_train = torch.cat([x_train, x_mixed]), torch.cat([y_train, y_mixed])

    weight, bias = fit(x_train, y_train, len(names), args.weight_decay, None if args.general else general,
                       class_power=CLASS_POWERS[args.class_weight])
    old_w, old_b = torch.from_numpy(tensors["C.weight"].astype(np.float32)), \
        torch.from_numpy(tensors["C.bias"].astype(np.float32))
    scores = {}
    for label, (w, b) in (("old", (old_w, old_b)), ("new", (weight, bias))):
        logits = x_hold @ w.T + b
        scores[label] = float((logits.argmax(1) == y_hold).float().mean())
        rules = ", ".join(f"p {t:g}: {r:.1%} right, {f:.1%} fall back" for t, r, f in rule_table(logits, y_hold))
        print(f"{label} head: {scores[label]:.1%} of the {len(hold)} hold-out images (not 'general') right; {rules}")

    dtype = tensors["C.weight"].dtype
    tensors["C.weight"] = weight.numpy().astype(dtype)
    tensors["C.bias"] = bias.numpy().astype(tensors["C.bias"].dtype)
    meta["class_head"] = json.dumps({
        "fitted_on": f"{len(train)} training images of the corpus"
                     + (f" and {len(mixed)} unlabelled ones as 'general'" if args.general else "")
                     + f", the luma and {args.degraded} degraded "
                     f"cop{'y' if args.degraded == 1 else 'ies'} each (seed {args.seed}), at a short side of "
                     f"{CLASS_SIZE}, on the frozen encoder",
        "weight_decay": args.weight_decay,
        "class_weight": args.class_weight,
        "general_is_a_target": args.general,
        "holdout_accuracy": {"before": round(scores["old"], 4), "after": round(scores["new"], 4),
                             "images": len(hold)},
        **fitted_provenance(args.data),
    })
    write_model(args.output, tensors, meta)
    log(f"wrote {args.output}")


if __name__ == "__main__":
    main()
