"""Writes a copy of a Kinecolor model file with other inference defaults (Docs/model-format.md).

    python3 -m kinecolor_training.set_inference IN.safetensors -o OUT.safetensors \
        [--size N] [--saturation G] [--z-std S] [--auto-min-prob P --auto-fallback CLASS]
        [--auto-min-prob-class CLASS=P,...] [-y]

The weights and every other metadata key are copied unchanged; only the named keys of the `inference`
JSON change. This is how a model whose training checkpoint is gone gets the settings `tune_inference`
chose. The input is never modified, and OUT is written to a temporary file and renamed; an existing
OUT is replaced only with -y. Needs only numpy and safetensors.
"""

import argparse
import json
import math
import os
import sys

from safetensors import SafetensorError, safe_open
from safetensors.numpy import save_file

# The ranges the Swift engine accepts (Sources/Model/SettingError.swift, NetworkSize.swift).
SIZES = range(16, 513, 16)
SATURATIONS = (0.0, 4.0)
Z_STDS = (0.0, 4.0)


def within(value, bounds):
    return math.isfinite(value) and bounds[0] <= value <= bounds[1]


def updated(inference, args, class_names):
    """`inference` with the given settings applied; raises ValueError naming the first bad one."""
    out = dict(inference)
    if args.size is not None:
        if args.size not in SIZES:
            raise ValueError(f"--size {args.size}: must be a multiple of 16 from 16 to 512")
        out["size"] = args.size
    if args.saturation is not None:
        if not within(args.saturation, SATURATIONS):
            raise ValueError(f"--saturation {args.saturation:g}: must be from 0 to 4")
        out["saturation"] = args.saturation
    if args.z_std is not None:
        if not within(args.z_std, Z_STDS):
            raise ValueError(f"--z-std {args.z_std:g}: must be from 0 to 4")
        out["z_std"] = args.z_std
    if args.auto_fallback is not None:
        if args.auto_fallback not in class_names:
            raise ValueError(f"--auto-fallback {args.auto_fallback!r} is not one of the model's classes")
        out["auto_class_fallback"] = args.auto_fallback
    if args.auto_min_prob is not None:
        if not within(args.auto_min_prob, (0.0, 1.0)):
            raise ValueError(f"--auto-min-prob {args.auto_min_prob:g}: must be from 0 to 1")
        out["auto_class_min_probability"] = args.auto_min_prob
    if args.auto_min_prob_class is not None:
        own = {}
        for part in filter(None, (p.strip() for p in args.auto_min_prob_class.split(","))):
            name, sep, value = part.partition("=")
            try:
                p = float(value) if sep else float("nan")
            except ValueError:
                p = float("nan")
            if name not in class_names:
                raise ValueError(f"--auto-min-prob-class: {name!r} is not one of the model's classes")
            if not within(p, (0.0, 1.0)):
                raise ValueError(f"--auto-min-prob-class: '{part}' must be CLASS=P with P from 0 to 1")
            own[name] = p
        if own:
            out["auto_class_min_probability_by_class"] = own
        else:
            out.pop("auto_class_min_probability_by_class", None)  # '': one threshold for all again
    return out


def check_output(input_path, output, overwrite):
    """Raises ValueError unless `output` may be written: never the input, never an existing file without -y."""
    if os.path.abspath(output) == os.path.abspath(input_path):
        raise ValueError("the output is the input; write a new file")
    if os.path.exists(output) and not overwrite:
        raise ValueError(f"{output} exists (-y replaces it)")


def read_model(path):
    """(tensors, metadata) of a Kinecolor model file, as stored; ValueError if it is not one."""
    with safe_open(path, framework="np") as f:
        meta = dict(f.metadata() or {})
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    if meta.get("format") != "kinecolor.bigcolor":
        raise ValueError(f"{path} is not a Kinecolor model file (no format kinecolor.bigcolor)")
    return tensors, meta


def write_model(path, tensors, meta):
    """Writes to a temporary file beside `path` and renames it, so a reader never sees half a file."""
    tmp = path + ".tmp"
    save_file(tensors, tmp, metadata=meta)
    os.replace(tmp, path)


def copy_parser(tool, description):
    """The parser of a tool that writes a changed copy of a model file after training (calibrate,
    refit_class_head): the model, -o, -y and --data; the tool adds its own options."""
    ap = argparse.ArgumentParser(prog=f"python3 -m kinecolor_training.{tool}", description=description,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("-y", dest="overwrite", action="store_true", help="replace an existing output")
    ap.add_argument("--data", help="corpus root (default: ../shared/corpus next to the repository)")
    return ap


def open_copy(tool, args):
    """(tensors, metadata) of args.model once args.output may be written; otherwise exits with one
    line that names the problem."""
    try:
        check_output(args.model, args.output, args.overwrite)
        return read_model(args.model)
    except SafetensorError as e:
        sys.exit(f"{tool}: {args.model} is not a readable safetensors file ({e})")
    except (ValueError, OSError) as e:
        sys.exit(f"{tool}: {e}")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m kinecolor_training.set_inference", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("-y", dest="overwrite", action="store_true", help="replace an existing output")
    ap.add_argument("--size", type=int, help="inference.size: the network's short side")
    ap.add_argument("--saturation", type=float, help="inference.saturation: the gain on a/b")
    ap.add_argument("--z-std", type=float, help="inference.z_std: the spread of z")
    ap.add_argument("--auto-min-prob", type=float, help="inference.auto_class_min_probability")
    ap.add_argument("--auto-fallback", help="inference.auto_class_fallback: a class name")
    ap.add_argument("--auto-min-prob-class", metavar="CLASS=P,...",
                    help="inference.auto_class_min_probability_by_class: thresholds of their own for some "
                         "top classes (e.g. sport=0.2); '' removes them")
    args = ap.parse_args(argv)
    try:
        check_output(args.input, args.output, args.overwrite)
        tensors, meta = read_model(args.input)
        names = json.loads(meta.get("class_names", "[]"))
        meta["inference"] = json.dumps(updated(json.loads(meta.get("inference", "{}")), args, names))
    except SafetensorError as e:
        sys.exit(f"set_inference: {args.input} is not a readable safetensors file ({e})")
    except (ValueError, OSError) as e:
        sys.exit(f"set_inference: {e}")
    write_model(args.output, tensors, meta)
    print(f"wrote {args.output}: inference {meta['inference']}")


if __name__ == "__main__":
    main()
