"""Packs the corpus's training images into one compact file, for a training run on a machine that
cannot see the corpus (a lent GPU machine takes at most 64 MiB with the working tree; issue 15).

    python3 -m kinecolor_training.pack [--data ../shared/corpus] -o PACK.npz [--side 112] [--quality 70]
        [--max-mib 50] [-y]

Every training image (never the hold-out: `data.is_holdout`), of every class, is resized to a short side
of --side (area averaging), cut to the centred square and stored as a WebP of --quality: about 2.5 KB an
image at 112 px and quality 70, 46.5 MiB for the 19,173 training images of 2026-12-04 (the working
tree that travels with it held 12 MiB). The squares lose the long
side's ends; the training crops take 35–100 % of the square's area, so at 112 px a 128-px training crop
is upscaled by up to 1.9×, as the corpus's smallest images already are. `train --pack` reads the file.

The file is an uncompressed .npz (no pickles): `blob` (the WebP files end to end, uint8), `offsets`
(int64, N + 1), `classes` (int16, `data.CLASS_NAMES`), `contents` (the manifests' content group, str),
`files` (the manifest paths, str) and `meta` (JSON: side, quality, count, the manifests' sha256).
It is written to a temporary file and renamed; an existing file is replaced only with -y, and a pack
over --max-mib is refused with the figures to change.
"""

import argparse
import io
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from PIL import Image, features

from . import data as D
from . import paths


def square(img, side):
    """The centred square of `img` at `side` px, resized first so its short side is `side`."""
    w, h = img.size
    s = side / min(w, h)
    img = img.resize((max(side, round(w * s)), max(side, round(h * s))), Image.BOX if s < 1 else Image.BICUBIC)
    w, h = img.size
    left, top = (w - side) // 2, (h - side) // 2
    return img.crop((left, top, left + side, top + side))


def encode(job):
    path, side, quality = job
    buf = io.BytesIO()
    square(D.load_rgb(path), side).save(buf, "WEBP", quality=quality, method=4)
    return buf.getvalue()


def decode(data):
    """uint8 [side, side, 3] of one packed image."""
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def read(path):
    """(blob, offsets, classes, contents, files, meta) of a pack."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        return z["blob"], z["offsets"], z["classes"], list(z["contents"]), list(z["files"]), meta


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.pack", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="corpus root (default: ../shared/corpus next to the repository)")
    ap.add_argument("-o", "--output", required=True, help="the pack (.npz)")
    ap.add_argument("--side", type=int, default=112, help="side of the stored squares in px (default 112)")
    ap.add_argument("--quality", type=int, default=70, help="WebP quality, 1-100 (default 70)")
    ap.add_argument("--max-mib", type=float, default=50, help="refuse a pack larger than this (default 50)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N training images (smoke tests)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("-y", action="store_true", help="replace an existing output")
    args = ap.parse_args(argv)
    if not 32 <= args.side <= 512 or not 1 <= args.quality <= 100:
        ap.error("--side must be 32-512 and --quality 1-100")
    if os.path.exists(args.output) and not args.y:
        sys.exit(f"pack: {args.output} exists; -y replaces it")
    if not features.check("webp"):
        sys.exit("pack: this Pillow has no WebP support")
    args.data = args.data or paths.shared_dir("corpus")
    try:
        items = [it for it in D.read_manifest(args.data) if not D.is_holdout(it[3])]
    except OSError as e:
        sys.exit(f"pack: {e}")
    if args.limit:
        items = items[:args.limit]
    if not items:
        sys.exit(f"pack: no training images under {args.data}")

    t0 = time.time()
    jobs = [(it[0], args.side, args.quality) for it in items]
    with ProcessPoolExecutor(max(1, args.workers)) as pool:
        blobs = list(pool.map(encode, jobs, chunksize=64))
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in blobs])
    mib = offsets[-1] / 2 ** 20
    if mib > args.max_mib:
        sys.exit(f"pack: {len(blobs)} images take {mib:.1f} MiB, over --max-mib {args.max_mib:g}; "
                 f"lower --quality or --side")
    meta = {"side": args.side, "quality": args.quality, "format": "webp", "count": len(blobs),
            "corpus_manifests_sha256": D.manifest_hashes(args.data)}
    tmp = args.output + ".tmp.npz"
    np.savez(tmp, blob=np.frombuffer(b"".join(blobs), dtype=np.uint8), offsets=offsets,
             classes=np.array([it[1] for it in items], dtype=np.int16),
             contents=np.array([it[4] for it in items], dtype=str),
             files=np.array([it[3] for it in items], dtype=str), meta=np.array(json.dumps(meta)))
    os.replace(tmp, args.output)
    print(f"pack: {len(blobs)} training images, {args.side} px squares, WebP {args.quality}: {mib:.1f} MiB "
          f"in {time.time() - t0:.0f} s -> {args.output}")


if __name__ == "__main__":
    main()
