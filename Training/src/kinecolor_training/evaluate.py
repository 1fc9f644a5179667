"""Quality of a Kinecolor model file on Kodak24 and on the corpus hold-out (5 %, by file-name hash).

    python3 -m kinecolor_training.evaluate --model Sources/Weights/kinecolor-default-v3.safetensors \
        --kinecolor .build/release/kinecolor [--baseline OLD.safetensors] [--data ../shared/corpus] \
        [--per-group 25] [--md Docs/quality.md]

With --kinecolor (the documented way) every headline number is the Swift engine's output: for each image
`kinecolor image IN -o OUT --model FILE --class auto --seed S` is run, i.e. the product's own code path
(area downscale to a short side of --size, network, chroma fused with the full-resolution luma). The
PyTorch folded model (kinecolor_training.bigcolor) gives a reference row and the class-head accuracy.

Metrics against the color ground truth, at full resolution, mean over images:
- CIEDE2000 (per-pixel mean) of the product image (its L is 100 gray, not the ground truth's L*, which
  alone costs several units), and of the ground truth's L* with our a/b ("ab only");
- PSNR of (a, b), peak 255 (a and b span about -128..127);
- Hasler-Suesstrunk colorfulness of ours / of the ground truth (mean of the per-image ratios);
and for comparison the gray baseline (a = b = 0) and the corpus-mean-chroma baseline (constant a, b).
Also: mean CIEDE2000 between two seeds and between the estimated class and 'general', and the class-head
accuracy on the hold-out (the hold-out's classes come from the manifests, 'general' images excluded).

The hold-out is sampled per content group (the manifests' `content` column, or what a core source holds):
the first --per-group images of each group in a fixed shuffled order, and the report has a row per group.
--baseline runs another model file through the same Swift path (the previous default model): its headline
numbers per set and per group, and its column in the hard-case sheet (gray | baseline | ours | truth, on a
sports field, foliage, fruit, an animal, a sky and a face). The report replaces the part of --md before its
first "## Video" heading and keeps the rest.
"""

import argparse
import json
import os
import random
import subprocess
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from . import calibration
from . import data as D
from . import paths
from .bigcolor import load_folded
from .color import ciede2000

Z_STD = 0.8  # the spread of z of a model file without inference.z_std (Docs/model-format.md)
SEEDS = (1, 2)


def powerof_size(h, w, target=256, unit=16):
    short, long = min(h, w), max(h, w)
    L = unit * int(np.ceil((long * (target / short)) / unit))
    return (target, L) if w > h else (L, target)


def _area_axis(x, n_out, dim):
    """Area-average x along `dim` to n_out samples: each output the mean of the input its footprint
    covers, partly covered samples by coverage, from the running sum at fractional positions."""
    n = x.shape[dim]
    x = x.double().movedim(dim, -1)
    s = F.pad(x.cumsum(-1), (1, 0))  # s[..., i]: the sum of the first i samples
    t = torch.arange(n_out + 1, dtype=torch.float64) * (n / n_out)
    i = t.floor().long().clamp(max=n - 1)
    run = s[..., i] + (t - i) * x[..., i]  # the sum up to position t
    return ((run[..., 1:] - run[..., :-1]) / (n / n_out)).float().movedim(-1, dim)


def shrink(x, size):
    """x [N, C, H, W] to `size` (h, w) as the product shrinks luma to the network size: area
    averaging, exact coverage (bilinear along an axis that grows, as the engine). The tools that choose
    or fit anything from the class head or the network's output use it, so that they see the input
    the product runs on; torch's antialiased bilinear, used before, moved the class head's top
    probability by up to 0.14 on Kodak24, across the fallback threshold on kodim08 with one head."""
    (h, w), (th, tw) = x.shape[-2:], size
    if th > h or tw > w:
        x = F.interpolate(x, size=(max(th, h), max(tw, w)), mode="bilinear", align_corners=False)
        h, w = x.shape[-2:]
    if tw < w:
        x = _area_axis(x, tw, -1)
    if th < h:
        x = _area_axis(x, th, -2)
    return x


def z_for(seed, dim_z, std=Z_STD):
    return torch.randn(dim_z, generator=torch.Generator().manual_seed(seed)) * std


def to_gray(rgb):
    """rgb [1,3,H,W] in [0,1] -> gray [1,1,H,W] (Docs/bigcolor-architecture.md §8, step 2)."""
    w = torch.tensor(D.LUMA).view(1, 3, 1, 1)
    return (rgb * w).sum(1, keepdim=True)


def fuse_like_engine(gray, x, ab):
    """The product's picture (Pipeline/FrameColorizer.swift, steps 3 and 4): L = 100·x with the network's a/b at
    network size → RGB → Cb/Cr, upsampled (bilinear) to full size and joined to the full-size gray as Y′.
    gray [1,1,H,W], x [1,1,h,w], ab [1,2,h,w] (already calibrated and scaled) → RGB [1,3,H,W] in [0, 1].
    Fusing in CIELAB at full size instead (L = 100·gray with upsampled a/b) differs from the product by
    about 2.5 CIEDE2000 and ranks settings differently (Training/README.md, "Fusing as the engine does")."""
    kr, kg, kb = D.LUMA
    rgb = D.lab2rgb(torch.cat([100 * x, ab], 1)).clamp(0, 1)
    y = kr * rgb[:, :1] + kg * rgb[:, 1:2] + kb * rgb[:, 2:]
    cbcr = torch.cat([(rgb[:, 2:] - y) / (2 * (1 - kb)), (rgb[:, :1] - y) / (2 * (1 - kr))], 1)
    cbcr = F.interpolate(cbcr, size=gray.shape[-2:], mode="bilinear", align_corners=False)
    r = gray + 2 * (1 - kr) * cbcr[:, 1:]
    b = gray + 2 * (1 - kb) * cbcr[:, :1]
    g = (gray - kr * r - kb * b) / kg
    return torch.cat([r, g, b], 1).clamp(0, 1)


class Runner:
    def __init__(self, path, size=None):
        self.model, self.meta = load_folded(path)
        self.cfg = self.model.config
        # The model's own inference defaults (Docs/model-format.md), as the product applies them.
        self.inference = json.loads(self.meta.get("inference", "{}"))
        self.size = size or self.inference.get("size", 256)
        self.saturation = self.inference.get("saturation", 1.0)
        self.z_std = self.inference.get("z_std", Z_STD)
        self.names = json.loads(self.meta["class_names"]) if "class_names" in self.meta else None

    def auto_class(self, logits):
        """--class auto: the top class, or the fallback when its probability is below the threshold."""
        p = torch.softmax(logits, 0)
        top = int(p.argmax())
        fallback = self.inference.get("auto_class_fallback")
        threshold = self.inference.get("auto_class_min_probability", 0)
        if self.names:  # a class may have a threshold of its own (Docs/model-format.md)
            threshold = self.inference.get("auto_class_min_probability_by_class", {}).get(self.names[top], threshold)
        if fallback and float(p[top]) < threshold and self.names:
            return self.names.index(fallback)
        return top

    @torch.no_grad()
    def classify(self, gray):
        h, w = gray.shape[-2:]
        return self.model.classify(shrink(gray, powerof_size(h, w, 128)))[0]

    @torch.no_grad()
    def colorize(self, gray, cls, seed):
        """Full-resolution fused RGB [1,3,H,W] for gray [1,1,H,W]."""
        h, w = gray.shape[-2:]
        x = shrink(gray, powerof_size(h, w, self.size))
        out = self.model(x, cls, z_for(seed, self.cfg["dim_z"], self.z_std))
        ab = D.rgb2lab((out + 1) / 2)[0, 1:].numpy()
        table = getattr(self.model, "calibration", None)
        if table is not None:
            ab = calibration.apply(table, ab, x[0, 0].numpy())
        return fuse_like_engine(gray, x, torch.from_numpy(ab)[None] * self.saturation)


def lab_np(rgb):
    return D.rgb2lab(rgb)[0].permute(1, 2, 0).double().numpy()


def colorfulness(rgb):
    x = rgb[0].double().numpy() * 255
    rg = x[0] - x[1]
    yb = 0.5 * (x[0] + x[1]) - x[2]
    return np.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)


def metrics(rgb, gt, gt_lab, gt_cf):
    lab = lab_np(rgb)
    de = ciede2000(lab, gt_lab).mean()
    # chroma only: the ground truth's L* with our a/b (how colorization papers usually report it)
    de_ab = ciede2000(np.concatenate([gt_lab[..., :1], lab[..., 1:]], -1), gt_lab).mean()
    mse = ((lab[..., 1:] - gt_lab[..., 1:]) ** 2).mean()
    psnr = 10 * np.log10(255.0 ** 2 / max(mse, 1e-10))
    cf = colorfulness(rgb) / max(gt_cf, 1e-6)
    return np.array([de, de_ab, psnr, cf])


def load_image(path, max_side=None):
    img = D.load_rgb(path)
    return torch.from_numpy(np.asarray(img, dtype=np.float32) / 255).permute(2, 0, 1)[None]


def corpus_mean_ab(root, n=400, seed=0):
    items = [it for it in D.read_manifest(root) if not D.is_holdout(it[3])]
    rnd = random.Random(seed)
    acc = np.zeros(2)
    for path, *_ in rnd.sample(items, n):
        img = D.load_rgb(path)
        img.thumbnail((64, 64))
        t = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255).permute(2, 0, 1)[None]
        acc += D.rgb2lab(t)[0, 1:].mean((1, 2)).double().numpy()
    return acc / n


class Swift:
    """The product path: `kinecolor image IN -o OUT --model FILE --class C --seed S --size N`."""

    def __init__(self, binary, model, size=None):
        self.binary, self.model, self.size = binary, model, size
        self.tmp = tempfile.TemporaryDirectory()

    def rgb(self, path, cls, seed):
        out = os.path.join(self.tmp.name, "out.png")
        if os.path.exists(out):
            os.remove(out)
        args = [self.binary, "image", path, "-o", out, "--model", self.model, "--seed", str(seed), "--class", str(cls)]
        if self.size:
            args += ["--size", str(self.size)]
        subprocess.run(args, check=True, capture_output=True)
        return load_image(out)


def evaluate_set(runner, images, mean_ab, label, log, swift=None, baseline=None):
    """images: [(name, path, true class or None, content group)]. Returns dict of mean metrics, and under
    "groups" {group: {row: mean metrics, "n": count}} for the rows "kc", "base", "gray" and "pt".

    With `swift`, the headline rows, the seed spread and the class spread come from the Swift engine;
    the PyTorch rows stay as the reference. `baseline` (another Swift) adds the row "base"."""
    keys = ("pt", "pt_true", "gray", "mean", "seeds", "classes", "kc", "kc_true", "kc_general", "base")
    rows = {k: [] for k in keys}
    correct = total = 0
    general = D.CLASS_NAMES.index("general")
    t0 = time.time()
    for k, (name, path, true_cls, _group) in enumerate(images):
        if true_cls is not None and true_cls >= runner.cfg["num_classes"]:
            true_cls = None  # an older model's vocabulary has no such class
        gt = load_image(path)
        gray = to_gray(gt)
        gt_lab = lab_np(gt)
        gt_cf = colorfulness(gt)
        logits = runner.classify(gray)
        if true_cls is not None and true_cls != general:
            total += 1
            correct += int(int(logits.argmax()) == true_cls)  # the head itself, before the fallback rule
        cls = runner.auto_class(logits)
        other = general if cls != general else D.CLASS_NAMES.index("landscape")
        if swift:
            ours = [swift.rgb(path, "auto", s) for s in SEEDS]
            # z moves colorfulness by about ±10 %: the headline is the mean over both seeds
            rows["kc"].append(np.mean([metrics(o, gt, gt_lab, gt_cf) for o in ours], 0))
            if baseline:
                rows["base"].append(np.mean([metrics(baseline.rgb(path, "auto", s), gt, gt_lab, gt_cf)
                                             for s in SEEDS], 0))
            alt = swift.rgb(path, other, SEEDS[0])
            if cls != general:
                rows["kc_general"].append(metrics(alt, gt, gt_lab, gt_cf))
            else:
                rows["kc_general"].append(rows["kc"][-1])
            if true_cls is not None:
                rows["kc_true"].append(metrics(swift.rgb(path, true_cls, SEEDS[0]), gt, gt_lab, gt_cf))
            rows["pt"].append(metrics(runner.colorize(gray, cls, SEEDS[0]), gt, gt_lab, gt_cf))
        else:
            ours = [runner.colorize(gray, cls, s) for s in SEEDS]
            rows["pt"].append(metrics(ours[0], gt, gt_lab, gt_cf))
            alt = runner.colorize(gray, other, SEEDS[0])
            if true_cls is not None:
                rows["pt_true"].append(metrics(runner.colorize(gray, true_cls, SEEDS[0]), gt, gt_lab, gt_cf))
        rows["seeds"].append(ciede2000(lab_np(ours[0]), lab_np(ours[1])).mean())
        rows["classes"].append(ciede2000(lab_np(ours[0]), lab_np(alt)).mean())
        zeros = torch.zeros(1, 2, *gray.shape[-2:])
        rows["gray"].append(metrics(D.lab2rgb(torch.cat([100 * gray, zeros], 1)), gt, gt_lab, gt_cf))
        const = torch.tensor(mean_ab, dtype=torch.float32).view(1, 2, 1, 1).expand_as(zeros)
        rows["mean"].append(metrics(D.lab2rgb(torch.cat([100 * gray, const], 1)), gt, gt_lab, gt_cf))
        if k % 50 == 49:
            log(f"{label}: {k + 1}/{len(images)} images, {time.time() - t0:.0f} s")
    res = {k: np.mean(v, axis=0) for k, v in rows.items() if v}
    groups = {}
    for g in sorted({im[3] for im in images}):
        idx = [i for i, im in enumerate(images) if im[3] == g]
        groups[g] = {r: np.mean([rows[r][i] for i in idx], 0) for r in ("kc", "base", "gray", "pt")
                     if len(rows[r]) == len(images)}
        groups[g]["n"] = len(idx)
        ours = rows["kc"] if len(rows["kc"]) == len(images) else rows["pt"]
        groups[g]["se"] = difference_se([ours[i][0] for i in idx], [rows["gray"][i][0] for i in idx])
    res["groups"] = groups
    res["n"] = len(images)
    res["acc"] = (correct, total)
    return res


def contact_sheet(runner, paths, out_path, swift=None, cell_w=240):
    rows = []
    for path in paths:
        gt = load_image(path)
        gray = to_gray(gt)
        cls = runner.auto_class(runner.classify(gray))
        ours = [swift.rgb(path, "auto", s) if swift else runner.colorize(gray, cls, s) for s in SEEDS]
        tiles = [gray.expand(1, 3, -1, -1)] + ours + [gt]
        h, w = gt.shape[-2:]
        ch = int(round(h * cell_w / w))
        ims = [Image.fromarray((t[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8))
               .resize((cell_w, ch), Image.LANCZOS) for t in tiles]
        row = Image.new("RGB", (cell_w * 4 + 6, ch), "white")
        for i, im in enumerate(ims):
            row.paste(im, (i * (cell_w + 2), 0))
        rows.append((row, D.CLASS_NAMES[cls]))
    H = sum(r.size[1] + 2 for r, _ in rows)
    sheet = Image.new("RGB", (rows[0][0].size[0], H), "white")
    y = 0
    for r, _ in rows:
        sheet.paste(r, (0, y))
        y += r.size[1] + 2
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    tmp = out_path + ".tmp.png"
    sheet.save(tmp)
    os.replace(tmp, out_path)
    return [c for _, c in rows]


# The hard cases of issue 15: (row label, source). "holdout:GROUP[:LABEL]" is the first hold-out image of
# that content group (and manifest label) in the fixed shuffled order; "samples:FILE" is a still from
# ../shared/samples (outside the corpus).
HARD_CASES = [
    ("sports field", "holdout:sport:football"),
    ("foliage", "holdout:landscape:forest"),
    ("fruit", "samples:fruits.jpg"),
    ("animal", "holdout:animals:dogs"),
    ("sky", "holdout:landscape:sky"),
    ("face", "holdout:face"),
]


def hard_case_paths(hold_rows, data_root):
    """[(label, path)] for HARD_CASES; hold_rows: the shuffled hold-out manifest items (read_manifest order)."""
    out = []
    for label, spec in HARD_CASES:
        kind, _, rest = spec.partition(":")
        if kind == "samples":
            path = os.path.join(os.path.dirname(os.path.abspath(data_root)), "samples", rest)
            if os.path.exists(path):
                out.append((label, path))
            continue
        group, _, want = rest.partition(":")
        for it in hold_rows:
            if it[4] == group and (not want or it[5].lower() == want):
                out.append((label, it[0]))
                break
    return out


def hard_case_sheet(cases, swift, baseline, out_path, cell_w=200):
    """One row per case: gray | baseline (seed 1) | ours (seed 1) | truth, all through the Swift engine."""
    rows = []
    for _label, path in cases:
        gt = load_image(path)
        tiles = [to_gray(gt).expand(1, 3, -1, -1)]
        tiles += [baseline.rgb(path, "auto", SEEDS[0])] if baseline else []
        tiles += [swift.rgb(path, "auto", SEEDS[0]), gt]
        h, w = gt.shape[-2:]
        ch = int(round(h * cell_w / w))
        row = Image.new("RGB", (len(tiles) * (cell_w + 2), ch), "white")
        for i, t in enumerate(tiles):
            im = Image.fromarray((t[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8))
            row.paste(im.resize((cell_w, ch), Image.LANCZOS), (i * (cell_w + 2), 0))
        rows.append(row)
    sheet = Image.new("RGB", (rows[0].size[0], sum(r.size[1] + 2 for r in rows)), "white")
    y = 0
    for r in rows:
        sheet.paste(r, (0, y))
        y += r.size[1] + 2
    tmp = out_path + ".tmp.png"
    sheet.save(tmp)
    os.replace(tmp, out_path)


def stratified_holdout(items, per_group):
    """The first `per_group` hold-out images of each content group, in a fixed shuffled order."""
    hold = [it for it in items if D.is_holdout(it[3])]
    random.Random(0).shuffle(hold)
    taken, out = {}, []
    for it in hold:
        if taken.get(it[4], 0) < per_group:
            taken[it[4]] = taken.get(it[4], 0) + 1
            out.append(it)
    return hold, out


TUNE_PER_GROUP = 15


def tuning_images(items, per_group=TUNE_PER_GROUP, reported_per_group=25):
    """The hold-out images the report leaves out, up to `per_group` of each content group: what the
    tuning tools choose inference settings on. Taken by group, as the report is, so that the small
    groups (sport, food, animals) weigh in; the first 150 of the rest held only five large groups."""
    hold, reported = stratified_holdout(items, reported_per_group)
    taken = {it[3] for it in reported}
    return stratified_holdout([it for it in hold if it[3] not in taken], per_group)[1]


def write_report(md_path, lines):
    """Writes `lines` over the part of md_path before its first "## Video" heading (those sections come
    from other reports), atomically."""
    tail = ""
    if os.path.exists(md_path):
        old = open(md_path).read()
        at = old.find("\n## Video")
        tail = old[at + 1:] if at >= 0 else ""
    tmp = md_path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + ("\n" + tail if tail else ""))
    os.replace(tmp, md_path)


def main():
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.evaluate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", help="corpus root (default: ../shared/corpus next to the repository, or $KINECOLOR_SHARED/corpus)")
    ap.add_argument("--per-group", type=int, default=25, help="hold-out images per content group")
    ap.add_argument("--baseline", help="another model file (the previous default) run through the same path")
    ap.add_argument("--kinecolor", help="kinecolor binary: the headline rows come from the Swift engine")
    ap.add_argument("--size", type=int, help="network short side (default: the model's own, as in the product)")
    ap.add_argument("--md", help="Markdown report to write (default: Docs/quality.md)")
    ap.add_argument("--sheet", help="contact sheet to write (default: Docs/quality/contact-sheet.png)")
    ap.add_argument("--sheet-images", default="kodim03,kodim05,kodim14,kodim15,kodim20,kodim23")
    ap.add_argument("--kodak-limit", type=int, default=0, help="only the first N Kodak images (smoke tests)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    args.data = args.data or paths.shared_dir("corpus")
    args.md = args.md or paths.repo_path("Docs", "quality.md")
    args.sheet = args.sheet or paths.repo_path("Docs", "quality", "contact-sheet.png")
    torch.set_num_threads(args.threads)
    log = lambda m: print(time.strftime("%H:%M:%S ") + m, flush=True)  # noqa: E731

    runner = Runner(args.model, args.size)
    swift = Swift(args.kinecolor, args.model, args.size) if args.kinecolor else None
    baseline = Swift(args.kinecolor, args.baseline, args.size) if args.kinecolor and args.baseline else None
    base_meta = load_folded(args.baseline)[1] if args.baseline else {}
    mean_ab = corpus_mean_ab(args.data)
    log(f"corpus mean (a, b) = ({mean_ab[0]:.2f}, {mean_ab[1]:.2f})")

    val_dir = os.path.join(args.data, "val")
    kodak = [(f[:-4], os.path.join(val_dir, f), None, "kodak") for f in sorted(os.listdir(val_dir))
             if f.endswith(".jpg")]
    if args.kodak_limit:
        kodak = kodak[:args.kodak_limit]
    items = D.read_manifest(args.data)
    hold_all, hold_items = stratified_holdout(items, args.per_group)
    hold = [(it[3], it[0], it[1], it[4]) for it in hold_items]
    n_hold_all = len(hold_all)

    res_k = evaluate_set(runner, kodak, mean_ab, "kodak", log, swift, baseline)
    log("kodak done")
    res_h = evaluate_set(runner, hold, mean_ab, "holdout", log, swift, baseline)
    sheet_paths = [p for n, p, _, _ in kodak if any(n.endswith(s) for s in args.sheet_images.split(","))]
    sheet_classes = contact_sheet(runner, sheet_paths, args.sheet, swift)
    cases = hard_case_paths(hold_all, args.data)
    hard_sheet = os.path.join(os.path.dirname(args.sheet), "hard-cases.png")
    if swift and cases:
        hard_case_sheet(cases, swift, baseline, hard_sheet)
    train_counts = np.bincount([it[1] for it in items if not D.is_holdout(it[3])], minlength=len(D.CLASS_NAMES))

    meta = runner.meta
    cfg = runner.cfg
    from .train import gflops
    engine = "the Swift engine (`kinecolor image`, the product's code path)" if swift else \
        "the PyTorch folded model (kinecolor_training.bigcolor); run with --kinecolor for the Swift engine"
    lines = [
        f"# Quality of `{meta.get('name')}`",
        "",
        f"Generated by `python3 -m kinecolor_training.evaluate --model {os.path.relpath(args.model, paths.repo_root())}"
        + (" --kinecolor .build/release/kinecolor" if swift else "") +
        (f" --baseline OLD/{os.path.basename(args.baseline)}" if args.baseline else "") +
        (f" --size {args.size}" if args.size else "") +
        f"` on {time.strftime('%Y-%m-%d')} (model exported from git {meta.get('git_commit', '?')[:10]}).",
        "",
        f"Model: encoder {cfg['encoder_channels']}, generator {cfg['generator_channels']}, "
        f"{gflops(cfg):.1f} GFLOP at 256x256, classes {', '.join(D.CLASS_NAMES)}.",
        "",
        f"Path: {engine}. With the model's own settings, as every command uses them: the gray input "
        f"(0.2989 R + 0.587 G + 0.114 B of the ground truth) is area-resized to a short side of {runner.size} "
        f"(BigColor's 'powerof' rule), the network runs there, its a/b are scaled by the saturation "
        f"{runner.saturation:g}, upsampled and fused with the full-resolution luma. Class: `--class auto` (the class "
        f"head's estimate" + (f", or '{runner.inference['auto_class_fallback']}' when its probability is below "
                              f"{runner.inference.get('auto_class_min_probability', 0):g}"
                              + "".join(f"; {k} below {v:g}" for k, v in sorted(
                                  runner.inference.get("auto_class_min_probability_by_class", {}).items()))
                              if runner.inference.get("auto_class_fallback") else "") +
        f"); z from seeds 1 and 2 (z ~ N(0, {runner.z_std:g}^2), the model's spread), the headline row is their mean; the other rows use seed 1. "
        "Metrics at full resolution against the color original.",
        "",
        "| set | method | CIEDE2000, product (L = 100 gray) | CIEDE2000, ab only (GT L*) | PSNR ab, dB | colorfulness / GT |",
        "|---|---|---|---|---|---|",
    ]

    def row(setname, name, m):
        lines.append(f"| {setname} | {name} | {m[0]:.2f} | {m[1]:.2f} | {m[2]:.2f} | {m[3]:.2f} |")

    for setname, res in ((f"Kodak24 ({res_k['n']})", res_k),
                         (f"hold-out ({res_h['n']} of {n_hold_all})", res_h)):
        if "kc" in res:
            row(setname, "**ours**, Swift engine (class head, mean of seeds 1 and 2)", res["kc"])
            if "kc_true" in res:
                row(setname, "ours, Swift engine, true class", res["kc_true"])
            row(setname, "ours, Swift engine, class 'general'", res["kc_general"])
            row(setname, "ours, PyTorch reference (class head, seed 1)", res["pt"])
        else:
            row(setname, "**ours**, PyTorch (class head, seed 1)", res["pt"])
            if "pt_true" in res:
                row(setname, "ours, PyTorch, true class", res["pt_true"])
        if "base" in res:
            row(setname, f"`{base_meta.get('name', 'baseline')}`, Swift engine (class head, mean of seeds 1 and 2)",
                res["base"])
        row(setname, "gray (a = b = 0)", res["gray"])
        row(setname, f"corpus-mean chroma (a, b) = ({mean_ab[0]:.1f}, {mean_ab[1]:.1f})", res["mean"])
    lines += [
        "",
        "Spread (same path as the headline rows):",
        "",
        "| set | CIEDE2000 seed 1 vs seed 2 | CIEDE2000 estimated class vs 'general' |",
        "|---|---|---|",
        f"| Kodak24 | {res_k['seeds']:.2f} | {res_k['classes']:.2f} |",
        f"| hold-out | {res_h['seeds']:.2f} | {res_h['classes']:.2f} |",
        "",
        f"Class-head accuracy on the hold-out (images whose class is not 'general'): "
        f"{res_h['acc'][0]}/{res_h['acc'][1]} = {100 * res_h['acc'][0] / max(1, res_h['acc'][1]):.1f}% "
        f"(always answering the largest class, {D.CLASS_NAMES[int(train_counts[1:].argmax()) + 1]}, would score "
        f"about {100 * train_counts[1:].max() / train_counts[1:].sum():.0f}%).",
        "",
        "The product column includes the lightness difference between L = 100 gray (BigColor's fusion) and the "
        "ground truth's CIE L*, which is the same for every method; the ab-only column uses the ground truth's L*. "
        "PSNR of ab uses a peak of 255. Colorfulness: Hasler and Suesstrunk (2003) on 0-255 sRGB, "
        "mean of the per-image ratio ours / ground truth.",
        "",
        "## Contact sheet",
        "",
        "![contact sheet](quality/contact-sheet.png)",
        "",
        "Columns: gray input | ours, seed 1 | ours, seed 2 | ground truth" + (" (Swift engine)" if swift else "") +
        ". Rows: " + ", ".join(f"{os.path.basename(p)[:-4].split('__')[-1]} ({c})"
                              for p, c in zip(sheet_paths, sheet_classes)) + " (estimated class in brackets).",
        "",
    ]
    lines += group_table(res_h, base_meta, args.per_group, n_hold_all)
    if swift and cases:
        cols = "gray | " + (f"`{base_meta.get('name')}` | " if baseline else "") + f"`{meta.get('name')}` | truth"
        lines += [
            "## Hard cases",
            "",
            "![hard cases](quality/hard-cases.png)",
            "",
            f"Columns: {cols} (Swift engine, `--class auto`, seed 1). Rows: "
            + ", ".join(f"{label} ({os.path.basename(p).split('__')[-1]})" for label, p in cases)
            + ". The fruit is `../shared/samples/fruits.jpg` (outside the corpus); the others are the first hold-out "
            "image of their content group and label.",
            "",
        ]
    write_report(args.md, lines)
    print("\n".join(lines))


def difference_se(ours, other):
    """Standard error of the mean of the per-image differences ours − other (paired: the same images),
    so that a group's "ours − gray" shows how far its few images let it be trusted. NaN below 2 images."""
    d = np.asarray(ours, np.float64) - np.asarray(other, np.float64)
    return float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else float("nan")


def group_table(res, base_meta, per_group, n_all):
    """Markdown rows of the hold-out per content group: ours, the baseline, gray, and ours − gray."""
    has_base = any("base" in g for g in res["groups"].values())
    base = f" | `{base_meta.get('name', 'baseline')}`" if has_base else ""
    out = ["## Hold-out per content group", "",
           f"Up to {per_group} images of each content group of the hold-out ({n_all} images in all); "
           "CIEDE2000 of the product image, Swift engine, mean of seeds 1 and 2 (PyTorch reference where the "
           "Swift engine was not run). A negative \"ours − gray\" is better than leaving the picture gray; "
           "\"s.e.\" is the standard error of that mean over the group's images (the spread of the per-image "
           "differences over the square root of their count), so a difference smaller than it could come "
           "from the choice of images alone.", "",
           f"| group | images | ours{base} | gray | ours − gray | s.e. | colorfulness / GT |",
           "|---|---|---|" + ("---|" if has_base else "") + "---|---|---|---|"]
    for g, m in res["groups"].items():
        ours = m.get("kc", m.get("pt"))
        b = f" | {m['base'][0]:.2f}" if has_base else ""
        se = m.get("se", float("nan"))
        se = f"{se:.2f}" if np.isfinite(se) else "–"
        out.append(f"| {g} | {m['n']} | {ours[0]:.2f}{b} | {m['gray'][0]:.2f} | {ours[0] - m['gray'][0]:+.2f} | "
                   f"{se} | {ours[3]:.2f} |")
    return out + [""]


if __name__ == "__main__":
    main()
