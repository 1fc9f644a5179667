"""Trains Kinecolor's default colorizer (folded BigColor flavour with a class head) on the corpus.

    nice -n 10 python3 -m kinecolor_training.train --data ../shared/corpus --out runs/NAME [--minutes M] [--resume]
    python3 -m kinecolor_training.train --data ../shared/corpus --out runs/NAME2 --init FILE.safetensors

--init FILE starts a second stage from a model file's weights, with the FINETUNE recipe (20 minutes by
default, all at 128 px, a lower learning rate, a fresh critic and a stronger content boost) instead of
training from scratch. With --product-code Q, that share of its images gets the starting file's own
`--class auto` as class code instead of the true class (not part of the recipe; Training/README.md,
"Training with the product's class").

Time-budgeted: the learning-rate schedule, the adversarial ramp and the final 128-px phase are
fractions of --minutes. Logs to OUT/log.txt; OUT/ckpt.pt is overwritten every --ckpt-minutes, and on
SIGTERM or Ctrl-C, after which the run stops; --resume continues it where it stopped. A finished run
also writes OUT/final.pt: the EMA weights with standing statistics and the run's record, all that
export and tune_inference need.
With --pack FILE (kinecolor_training.pack) the images come from that one file instead of the corpus,
and crops and degradation run as batched tensor operations on --device (kinecolor_training.packed):
the way to train on a lent GPU machine, which cannot see the corpus (--device cuda --batch-scale K).
--precision auto times a few steps in float32 and in bfloat16 autocast and trains in the faster one
(bfloat16 only pays on CPUs with avx512_bf16 or AMX; elsewhere it is several times slower).
At the end the EMA generator's BN statistics are recomputed ("standing stats") and stored in the
checkpoint as `ema_calibrated`, which kinecolor_training.export uses.
"""

import argparse
import copy
import hashlib
import json
import math
import os
import random
import signal
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import data as D
from . import packed as K
from .bigcolor import Colorizer, ConditionalBN, OutputBN, load_folded

DEFAULT_CONFIG = {
    "encoder_channels": [16, 32, 64, 192, 256],
    "generator_channels": [256, 192, 64, 32, 16],
    "generator_first_block": 2,
    "attention_block": 3,
    "shared_dim": 32,
    "num_classes": len(D.CLASS_NAMES),
    "dim_z": 8 * 7,
    "z_chunk": 8,
    "bn_eps": 1e-5,
    "class_head": True,
}
Z_STD = 0.8
AB_SCALE = 110.0

RECIPE = {
    "batch": 16, "size": 96, "final_size": 128, "final_batch": 10, "second_z": 0.25, "final_frac": 0.8,
    "lr_g": 4e-4, "lr_d": 3e-4, "betas_g": [0.9, 0.99], "betas_d": [0.5, 0.99], "warmup_steps": 200,
    "lr_floor": 0.05, "ema": 0.995, "general_dropout": 0.3,
    "w_rec_min": 0.0, "w_rec_mean": 1.0, "w_L": 0.05, "w_div": 1.0, "div_margin": 0.012,
    "w_adv": 0.01, "adv_start": 0.5, "adv_ramp": 0.15, "w_cls": 0.2,
    # Content groups (manifest `content`) drawn this many times more often than their class's share
    # gives them: the groups the unboosted v3 colored worse than gray (Training/README.md, "A fourth v3
    # run", shipped). --content-boost replaces it; --content-boost none draws by class alone.
    "content_boost": {"sport": 2.5, "vehicles": 2.5, "animals": 1.5, "people_street": 1.5},
    "critic_lead": 0.03,  # the critic trains this fraction of the run before the adversarial term starts
    # With --init and --product-code Q: this share of the images gets the class code the product would
    # give it, `--class auto` of the starting file (its head, threshold and fallback), instead of the
    # true class. Tried at 0.3 against the rowing pictures the head runs as landscape or "general";
    # not part of the recipe (Training/README.md, "Training with the product's class").
    "product_code": 0.0,
}

# The second stage (--init): what changes from RECIPE. The product's size throughout, a fifth of the
# first stage's peak learning rate, a new critic given a lead before it is used, and the groups still
# worse than gray after the first stage drawn more often again (Training/README.md, "A second stage").
FINETUNE = {
    "batch": 10, "size": 128, "final_frac": 1.0, "lr_g": 8e-5, "warmup_steps": 50,
    "adv_start": 0.25, "adv_ramp": 0.15, "critic_lead": 0.15,
    "content_boost": {"sport": 4.0, "vehicles": 4.0, "animals": 1.5, "people_street": 2.5},
}
FINETUNE_MINUTES = 20


def parse_boost(text):
    """'sport=2.5,vehicles=2' -> {'sport': 2.5, 'vehicles': 2.0}, 'none' -> {}; a one-line ValueError for
    anything else."""
    out = {}
    if text.strip() == "none":
        return out
    for part in filter(None, (p.strip() for p in text.split(","))):
        group, sep, value = part.partition("=")
        if not sep or group not in D.CONTENT_GROUPS:
            raise ValueError(f"--content-boost: '{part}' is not GROUP=WEIGHT with GROUP one of "
                             f"{', '.join(D.CONTENT_GROUPS)}")
        try:
            w = float(value)
        except ValueError:
            w = float("nan")
        if not 0 < w <= 100:
            raise ValueError(f"--content-boost: the weight of {group} must be a number in (0, 100], not '{value}'")
        out[group] = w
    return out


def gflops(cfg, h=256, w=256):
    """Forward cost (2 x multiply-adds of convs, linears and attention matmuls), Docs/bigcolor-architecture.md §9."""
    P = h * w
    tot, cin, p = 0.0, 1, float(P)
    for k, c in enumerate(cfg["encoder_channels"]):
        if k:
            p /= 4
        tot += 2 * p * (cin * c + cin * c * 9 + c * c * 9)
        cin = c
    gen, p = cfg["generator_channels"], P / 256
    for j in range(4):
        p *= 4
        ci, co = gen[j], gen[j + 1]
        tot += 2 * p * (ci * co * 9 + co * co * 9 + ci * co)
        if cfg["generator_first_block"] + j == cfg["attention_block"]:
            tot += 2 * p * (co * co / 8 * 2 + co * co / 2 + co / 2 * co) + 2 * (p * p / 4 * co / 8 + co / 2 * p * p / 4)
    tot += 2 * P * gen[-1] * 3 * 9
    return tot / 1e9


def autocast(bf16, device="cpu"):
    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bf16)


def pick_precision(model, ds, rnd, recipe, log, film_gray, steps=3):
    """Times forward + backward of a copy of the model on one batch in float32 and in bfloat16 autocast;
    returns True when bfloat16 is faster. Medians of `steps` after one warm-up step."""
    probe = copy.deepcopy(model).train()
    color, cls = ds.batch(recipe["batch"], recipe["size"], random.Random(rnd.random()))
    gray = film_gray(color, seed=0).contiguous(memory_format=torch.channels_last)  # not the run's draws
    device = gray.device
    z = torch.randn(len(cls), probe.config["dim_z"], device=device) * Z_STD
    times = {}
    for bf16 in (False, True):
        runs = []
        for _ in range(steps + 1):
            t = time.time()
            with autocast(bf16, device):
                out = probe(gray, cls, z)
            out.float().square().mean().backward()
            if device.type == "cuda":
                torch.cuda.synchronize()
            runs.append(time.time() - t)
        times[bf16] = sorted(runs[1:])[steps // 2]
    log(f"precision: float32 {times[False]:.2f} s/step, bfloat16 autocast {times[True]:.2f} s/step "
        f"(batch {recipe['batch']} at {recipe['size']} px); training in {'bfloat16' if times[True] < times[False] else 'float32'}")
    return times[True] < times[False]


def init_model_(model):
    """BigGAN-like init: conditional gain/bias linears near zero (gamma = 1 + W y ~ 1), unit-variance
    class embeddings, orthogonal convs."""
    for m in model.modules():
        if isinstance(m, ConditionalBN):
            nn.init.normal_(m.gain.weight, std=0.02)
            nn.init.normal_(m.bias.weight, std=0.02)
        elif isinstance(m, nn.Conv2d):
            nn.init.orthogonal_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    nn.init.normal_(model.G.shared.weight, std=1.0)
    if hasattr(model, "C"):
        nn.init.normal_(model.C.weight, std=0.01)
        nn.init.zeros_(model.C.bias)
    for m in model.E.modules():  # no dropout for this short, capacity-limited run
        if isinstance(m, nn.Dropout):
            m.p = 0.0


class Critic(nn.Module):
    """Small PatchGAN on (gray, a, b) with spectral norm and a class projection per patch. Hinge loss."""

    def __init__(self, num_classes, ch=32):
        super().__init__()
        sn = nn.utils.spectral_norm
        self.convs = nn.ModuleList([
            sn(nn.Conv2d(3, ch, 4, 2, 1)), sn(nn.Conv2d(ch, ch * 2, 4, 2, 1)),
            sn(nn.Conv2d(ch * 2, ch * 4, 4, 2, 1)), sn(nn.Conv2d(ch * 4, ch * 4, 3, 1, 1))])
        self.out = sn(nn.Conv2d(ch * 4, 1, 3, 1, 1))
        self.embed = sn(nn.Embedding(num_classes, ch * 4))

    def forward(self, gray, ab, c):
        h = torch.cat([gray * 2 - 1, ab], 1)
        for conv in self.convs:
            h = F.leaky_relu(conv(h), 0.2)
        return self.out(h) + (self.embed(c)[:, :, None, None] * h).sum(1, keepdim=True)


@torch.no_grad()
def product_codes(teacher, gray, inference):
    """The class `--class auto` gives each image with the frozen starting model (evaluate.Runner's rule)."""
    p = torch.softmax(teacher.classify(gray.float()).float(), 1)
    prob, top = p.max(1)
    threshold = torch.full_like(prob, float(inference.get("auto_class_min_probability", 0)))
    for name, t in inference.get("auto_class_min_probability_by_class", {}).items():
        threshold[top == D.CLASS_INDEX[name]] = float(t)
    fallback = inference.get("auto_class_fallback")
    if fallback:
        top[prob < threshold] = D.CLASS_INDEX[fallback]
    return top


def encoder_bns(model):
    return [m for m in model.E.modules() if isinstance(m, ConditionalBN)]


def lab_of(out):
    return D.rgb2lab((out.float() + 1) / 2)


class Logger:
    def __init__(self, path):
        self.f = open(path, "a")

    def __call__(self, msg):
        line = time.strftime("%H:%M:%S ") + msg
        print(line, flush=True)
        self.f.write(line + "\n")
        self.f.flush()


@torch.no_grad()
def calibrate_bn(model, ds, recipe, rnd, bf16, film_gray, batches=40, size=160, bs=12):
    """Standing statistics: cumulative batch statistics of the (EMA) model on clean-ish inputs."""
    bns = [m for m in model.modules() if isinstance(m, (ConditionalBN, OutputBN))]
    for m in bns:
        m.stored_mean.zero_()
        m.stored_var.fill_(1)
    model.train()
    # cumulative average over the batches: momentum 1/k
    for k in range(batches):
        for m in bns:
            m.momentum = 1.0 / (k + 1)
        color, cls = ds.batch(bs, size, rnd)
        gray = film_gray(color, strength=0.5).contiguous(memory_format=torch.channels_last)
        z = torch.randn(bs, model.config["dim_z"], device=gray.device) * Z_STD
        with autocast(bf16, gray.device):
            model(gray, cls, z)
    for m in bns:
        m.momentum = 0.1
    model.eval()


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="corpus root (or --pack)")
    ap.add_argument("--pack", metavar="FILE", help="train on a pack of the corpus (kinecolor_training.pack)")
    ap.add_argument("--device", default="cpu", help="cpu, or cuda with --pack (default cpu)")
    ap.add_argument("--batch-scale", type=int, default=1, metavar="K",
                    help="K times the recipe's batches, the learning rate unchanged (for a GPU; default 1)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=None,
                    help=f"training budget (default 130; {FINETUNE_MINUTES} with --init)")
    ap.add_argument("--init", metavar="FILE", default=None,
                    help="a second stage: start from this model file's weights with the FINETUNE recipe")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ckpt-minutes", type=float, default=5)
    ap.add_argument("--limit", type=int, default=0, help="use only N training images (smoke tests)")
    ap.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                    help="auto: time both for a few steps and train in the faster")
    ap.add_argument("--content-boost", default=None, metavar="GROUP=W,...",
                    help="draw these content groups W times as often (default: the recipe's, "
                         + ",".join(f"{g}={w:g}" for g, w in RECIPE["content_boost"].items()) + "; none: by class alone)")
    ap.add_argument("--product-code", type=float, default=None, metavar="Q",
                    help="with --init: this share of the images gets the starting file's --class auto "
                         "instead of the true class (default 0)")
    args = ap.parse_args()
    if (args.data is None) == (args.pack is None):
        ap.error("give --data (the corpus) or --pack (a pack of it)")
    if args.pack and args.limit:
        ap.error("--limit is for --data; make a smaller pack with pack --limit")
    if args.device != "cpu" and not args.pack:
        ap.error("--device other than cpu needs --pack: the corpus path decodes and degrades on the CPU")
    if args.batch_scale < 1:
        ap.error("--batch-scale must be 1 or more")
    try:
        device = torch.device(args.device)
        torch.empty(1, device=device)
    except (RuntimeError, AssertionError) as e:
        ap.error(f"--device {args.device}: {str(e).splitlines()[0]}")
    if args.product_code is not None and not (args.init and 0 <= args.product_code <= 1 - RECIPE["general_dropout"]):
        ap.error(f"--product-code needs --init and a share from 0 to {1 - RECIPE['general_dropout']:g}")
    try:
        base = dict(RECIPE, **FINETUNE) if args.init else dict(RECIPE)
        boost = base["content_boost"] if args.content_boost is None else parse_boost(args.content_boost)
    except ValueError as e:
        ap.error(str(e))
    if args.minutes is None:
        args.minutes = FINETUNE_MINUTES if args.init else 130
    if args.init and args.resume:
        ap.error("--init starts a second stage; continue a stopped one with --resume alone")

    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    log = Logger(os.path.join(args.out, "log.txt"))
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    recipe = dict(base, content_boost=boost)
    recipe["batch"] *= args.batch_scale
    recipe["final_batch"] *= args.batch_scale
    if args.product_code is not None:
        recipe["product_code"] = args.product_code
    cfg = dict(DEFAULT_CONFIG)
    init = None
    if args.init:
        try:
            start, meta = load_folded(args.init)
        except Exception as e:
            ap.error(f"--init {args.init}: {e}")
        if start.config.get("class_head") != cfg["class_head"] or any(
                start.config[k] != cfg[k] for k in DEFAULT_CONFIG if k != "class_head"):
            ap.error(f"--init {args.init}: its config is not the recipe's ({json.dumps(start.config)})")
        with open(args.init, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        init = {"file": os.path.basename(args.init), "sha256": digest, "name": meta.get("name", ""),
                "training_recipe": meta.get("training_recipe", ""),
                "inference": json.loads(meta.get("inference", "{}"))}

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    rnd = random.Random(args.seed)
    gen = torch.Generator(device).manual_seed(args.seed)  # the packed path's per-image draws

    model = Colorizer(cfg, official=False)
    init_model_(model)
    teacher = None
    if init:
        model.load_state_dict(start.state_dict())
        if recipe["product_code"] > 0:
            teacher = start.requires_grad_(False)  # frozen: the product's class codes (--product-code)
        del start
    # channels_last: about 15 % faster convolutions on CPU in float32 (measured; Training/README.md)
    model = model.to(device, memory_format=torch.channels_last)
    if teacher is not None:
        teacher = teacher.to(device)
    critic = Critic(cfg["num_classes"]).to(device, memory_format=torch.channels_last)
    ema = copy.deepcopy(model)
    ema.requires_grad_(False)
    opt_g = torch.optim.Adam(model.parameters(), lr=recipe["lr_g"], betas=tuple(recipe["betas_g"]))
    opt_d = torch.optim.Adam(critic.parameters(), lr=recipe["lr_d"], betas=tuple(recipe["betas_d"]))
    step, elapsed, images = 0, 0.0, 0

    if args.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, weights_only=False, map_location=device)
        model.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        critic.load_state_dict(ck["critic"])
        opt_g.load_state_dict(ck["opt_g"])
        opt_d.load_state_dict(ck["opt_d"])
        step, elapsed, images = ck["step"], ck["elapsed"], ck["images"]
        rnd.setstate(ck["py_rng"])
        torch.set_rng_state(ck["torch_rng"].cpu())
        if ck.get("device_rng") is not None and ck.get("device") == str(device):
            gen.set_state(ck["device_rng"].cpu())
        args.minutes = ck.get("minutes", args.minutes)
        recipe = dict(RECIPE, **ck["recipe"])  # the run's own recipe and boost, as its budget
        init = ck.get("init")
        if ck.get("teacher"):
            teacher = Colorizer(cfg, official=False)
            teacher.load_state_dict(ck["teacher"])
            teacher.to(device).eval().requires_grad_(False)
        log(f"resumed at step {step}, {elapsed / 60:.1f} min")

    nparams = sum(p.numel() for p in model.parameters())
    if init:
        log(f"second stage from {init['file']} (sha256 {init['sha256'][:12]})")
    log(f"config {json.dumps(cfg)}; {nparams:,} parameters; {gflops(cfg):.2f} GFLOP at 256x256; "
        f"recipe {json.dumps(recipe)}; minutes {args.minutes}; device {device}")
    if args.pack:
        try:
            ds = K.PackedDataset(args.pack, device, log=log)
        except (OSError, ValueError, KeyError) as e:
            ap.error(f"--pack {args.pack}: {e}")

        def film_gray(color, strength=1.0, seed=None):
            return K.degrade(color, gen if seed is None else torch.Generator(device).manual_seed(seed), strength)
    else:
        ds = D.FilmDataset(args.data, "train", limit=args.limit or None, seed=args.seed, log=log)

        def film_gray(color, strength=1.0, seed=None):
            return D.degrade(color, rnd if seed is None else random.Random(seed), strength)
    counts = [int((ds.classes == k).sum()) for k in range(len(D.CLASS_NAMES))]
    log(f"{len(ds)} training images; per class {dict(zip(D.CLASS_NAMES, counts))}")
    bf16 = args.precision == "bf16" or (args.precision == "auto" and pick_precision(
        model, ds, random.Random(args.seed + 1), recipe, log, film_gray))

    stop = []  # set by SIGTERM / SIGINT: save a checkpoint at the end of the step, then exit

    def request_stop(signum, _frame):
        stop.append(signum)
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    contents = ds.contents
    weights = D.draw_weights(ds.classes, contents, recipe["content_boost"])
    share = {}
    for g, w in zip(contents, weights):
        share[g] = share.get(g, 0.0) + w
    log("draws per content group: " + ", ".join(f"{g} {100 * v / sum(weights):.1f} %" for g, v in sorted(share.items())))
    cum = []
    acc = 0.0
    for w in weights:
        acc += w
        cum.append(acc)

    def pick(n):
        import bisect
        return [min(bisect.bisect(cum, rnd.random() * acc), len(ds) - 1) for _ in range(n)]

    budget = args.minutes * 60
    zc, first = cfg["z_chunk"], cfg["generator_first_block"]
    zsl = slice(zc * (first + 1), zc * (first + 5))
    last_ckpt = time.time()
    t_start = time.time() - elapsed
    stats = {}
    model.train()
    critic.train()

    def save(final=False):
        ck = {"config": cfg, "class_names": D.CLASS_NAMES, "recipe": recipe, "model": model.state_dict(),
              "ema": ema.state_dict(), "critic": critic.state_dict(), "opt_g": opt_g.state_dict(),
              "opt_d": opt_d.state_dict(), "step": step, "elapsed": elapsed, "images": images,
              "py_rng": rnd.getstate(), "torch_rng": torch.get_rng_state(), "minutes": args.minutes,
              "device": str(device), "device_rng": gen.get_state(),
              "pack": dict(ds.meta, file=os.path.basename(args.pack)) if args.pack else None,
              "finished": final, "precision": "bf16" if bf16 else "fp32", "init": init,
              "teacher": teacher.state_dict() if teacher is not None else None}
        if final:
            ck["ema_calibrated"] = ema.state_dict()
        tmp = ckpt_path + ".tmp"
        torch.save(ck, tmp)
        os.replace(tmp, ckpt_path)

    while elapsed < budget:
        frac = elapsed / budget
        final_phase = frac >= recipe["final_frac"]
        size = recipe["final_size"] if final_phase else recipe["size"]
        bs = recipe["final_batch"] if final_phase else recipe["batch"]
        lr_scale = min(1.0, (step + 1) / recipe["warmup_steps"]) * (
            recipe["lr_floor"] + (1 - recipe["lr_floor"]) * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt_g.param_groups:
            g["lr"] = recipe["lr_g"] * lr_scale
        for g in opt_d.param_groups:
            g["lr"] = recipe["lr_d"] * lr_scale
        w_adv = recipe["w_adv"] * min(1.0, max(0.0, (frac - recipe["adv_start"]) / recipe["adv_ramp"]))

        color, cls = ds.batch(bs, size, rnd, indices=pick(bs))
        gray = film_gray(color).contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            lab_t = D.rgb2lab(color)
        ab_t = lab_t[:, 1:] / AB_SCALE
        c_in = cls.clone()
        u = torch.rand(bs, device=device)
        c_in[u < recipe["general_dropout"]] = D.GENERAL
        as_product = (u >= recipe["general_dropout"]) & (u < recipe["general_dropout"] + recipe["product_code"])
        if teacher is not None and as_product.any():
            c_in[as_product] = product_codes(teacher, gray[as_product], init["inference"])
        h = max(1, int(bs * recipe["second_z"]))  # images that also get a second z
        z = torch.randn(bs + h, cfg["dim_z"], device=device) * Z_STD

        with autocast(bf16, device):
            e = model.G.shared(c_in)
            f = model.E(gray, e)
            out = model.G.forward_from(z, torch.cat([e, e[:h]]), torch.cat([f, f[:h]]))
            for m in encoder_bns(model):
                m.momentum = 0.0  # the zero-code pass must not move the stored statistics
            logits = model.classify(gray)
            for m in encoder_bns(model):
                m.momentum = 0.1
        lab_o = lab_of(out)
        ab_o = lab_o[:, 1:] / AB_SCALE
        ab_t2 = torch.cat([ab_t, ab_t[:h]])
        rec_all = F.smooth_l1_loss(ab_o, ab_t2, beta=0.02, reduction="none").mean((1, 2, 3))
        r1, r2 = rec_all[:h], rec_all[bs:]
        # best of two z (so that different z can own different modes), plus a little of both
        paired = recipe["w_rec_min"] * torch.minimum(r1, r2) + recipe["w_rec_mean"] * 0.5 * (r1 + r2)
        loss_rec = torch.cat([paired, rec_all[h:bs]]).mean()
        rec = rec_all
        loss_L = (lab_o[:, :1] - torch.cat([lab_t[:, :1], lab_t[:h, :1]])).abs().mean() / 100
        # diversity of the spatial pattern, not just a global tint: the mean difference is removed
        delta = ab_o[:h] - ab_o[bs:]
        d_ab = (delta - delta.mean((2, 3), keepdim=True)).abs().mean((1, 2, 3))
        d_z = (z[:h, zsl] - z[bs:, zsl]).abs().mean(1) / Z_STD
        loss_div = F.relu(recipe["div_margin"] * d_z - d_ab).mean()
        valid = cls != D.GENERAL
        loss_cls = F.cross_entropy(logits.float()[valid], cls[valid]) if valid.any() else logits.sum() * 0
        loss = loss_rec + recipe["w_L"] * loss_L + recipe["w_div"] * loss_div + recipe["w_cls"] * loss_cls
        c2 = torch.cat([cls, cls[:h]])
        gray2 = torch.cat([gray, gray[:h]])
        if w_adv > 0:
            with autocast(bf16, device):
                loss_adv = -critic(gray2, ab_o, c2).float().mean()
            loss = loss + w_adv * loss_adv
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt_g.step()

        if w_adv > 0 or frac > recipe["adv_start"] - recipe["critic_lead"]:  # critic warms up before it is used
            with autocast(bf16, device):
                d_real = critic(gray, ab_t, cls).float()
                d_fake = critic(gray2, ab_o.detach(), c2).float()
            loss_d = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            stats["d"] = stats.get("d", 0) + loss_d.item()
            if w_adv > 0:
                stats["adv"] = stats.get("adv", 0) + loss_adv.item()

        with torch.no_grad():
            dec = recipe["ema"] if step > 500 else 0.0 if step < 100 else 0.99
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.lerp_(pm, 1 - dec)
            for be, bm in zip(ema.buffers(), model.buffers()):
                be.copy_(bm)
            acc_cls = (logits.argmax(1)[valid] == cls[valid]).float().mean().item() if valid.any() else 0

        for k, v in (("loss", loss.item()), ("rec", rec.mean().item()), ("L", loss_L.item()),
                     ("div", loss_div.item()), ("dab", d_ab.mean().item()), ("cls", loss_cls.item()),
                     ("acc", acc_cls)):
            stats[k] = stats.get(k, 0) + v
        stats["n"] = stats.get("n", 0) + 1
        step += 1
        images += bs
        elapsed = time.time() - t_start
        if step % 50 == 0:
            n = stats.pop("n")
            log(f"step {step} {elapsed / 60:.1f}min {images / elapsed:.1f} img/s size {size} lr {lr_scale:.3f} "
                f"w_adv {w_adv:.3f} " + " ".join(f"{k} {v / n:.4f}" for k, v in stats.items()))
            stats = {}
        if stop:
            save()
            log(f"stopped by signal {stop[0]} at step {step}, {elapsed / 60:.1f} of {args.minutes:g} min; "
                f"checkpoint saved, continue with --resume")
            return
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            save()
            last_ckpt = time.time()
            log(f"checkpoint at step {step}")

    log(f"training done: {step} steps, {images} images, {elapsed / 60:.1f} min; calibrating EMA BN statistics")
    calibrate_bn(ema, ds, recipe, rnd, bf16, film_gray)
    save(final=True)
    # What export and tune_inference read, without the raw weights, critic and optimizer state: a
    # quarter of ckpt.pt's size, small enough to come back from a lent machine (Training/README.md).
    final = {k: v for k, v in torch.load(ckpt_path, weights_only=False, map_location="cpu").items()
             if k not in ("model", "ema", "critic", "opt_g", "opt_d", "teacher", "py_rng", "torch_rng", "device_rng")}
    final_path = os.path.join(args.out, "final.pt")
    torch.save(final, final_path + ".tmp")
    os.replace(final_path + ".tmp", final_path)
    log(f"saved {ckpt_path} and {final_path}")


if __name__ == "__main__":
    main()
