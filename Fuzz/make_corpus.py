#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/corpus/<target>/ (small, hand-made valid inputs, plus a few
near-misses). Run from anywhere: python3 Fuzz/make_corpus.py. The files are committed; this
script only documents how they were made and regenerates them."""
import json
import os
import shutil
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

TINY_CONFIG = {"encoder_channels": [8, 16, 16, 32, 32], "generator_channels": [32, 32, 16, 16, 8],
               "generator_first_block": 2, "attention_block": 3, "shared_dim": 16, "num_classes": 10,
               "dim_z": 35, "z_chunk": 5, "bn_eps": 1e-05}
DEFAULT_CONFIG = {"encoder_channels": [16, 32, 64, 192, 256], "generator_channels": [256, 192, 64, 32, 16],
                  "generator_first_block": 2, "attention_block": 3, "shared_dim": 32, "num_classes": 8,
                  "dim_z": 56, "z_chunk": 8, "bn_eps": 1e-05, "class_head": True}
BIGCOLOR_CONFIG = {"encoder_channels": [96, 192, 384, 768, 768], "generator_channels": [768, 768, 384, 192, 96],
                   "generator_first_block": 2, "attention_block": 3, "shared_dim": 128, "num_classes": 1000,
                   "dim_z": 119, "z_chunk": 17}
INFERENCE = {"size": 192, "saturation": 0.9, "auto_class_min_probability": 0.7, "auto_class_fallback": "class1"}


def target(name):
    d = os.path.join(ROOT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    n = 0

    def put(data, label):
        nonlocal n
        n += 1
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(d, f"{n:02d}-{label}"), "wb") as f:
            f.write(data)
    return put


def safetensors(tensors, metadata=None, pad=True):
    """tensors: [(name, dtype, shape, raw bytes)]"""
    header, offset, data = {}, 0, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def npy(header, data, version=1):
    text = header.encode()
    length_size = 2 if version == 1 else 4
    total = 6 + 2 + length_size + len(text) + 1
    text += b" " * ((64 - total % 64) % 64) + b"\n"
    return (b"\x93NUMPY" + bytes([version, 0]) + (struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text)))
            + text + data)


def main():
    f32 = lambda *v: struct.pack(f"<{len(v)}f", *v)

    put = target("json")
    put('{}', "empty-object")
    put('{"__metadata__":{"format":"kinecolor.bigcolor","config":"{\\"dim_z\\": 35}"},'
        '"G.w":{"dtype":"F32","shape":[2,3,1,1],"data_offsets":[0,24]}}    ', "header")
    put('[1, -0.5, 2e10, 1E-3, 0, -0, 123456789012345678901234567890]', "numbers")
    put('["\\u00e9\\ud83d\\ude00", "tab\\tquote\\"back\\\\slash\\/", "\xc3\xa9 \xe2\x9c\x93"]', "strings")
    put('{"a":[{"b":[[[null,true,false]]]}]}', "nested")
    put('{"a":1,"a":2}', "duplicate-key")
    put('[' * 70 + ']' * 70, "too-deep")

    put = target("safetensors")
    put(safetensors([("w", "F32", [2, 2], f32(1, -2, 0.5, 3e38))]), "f32")
    put(safetensors([("h", "F16", [3], struct.pack("<3H", 0x3c00, 0x7c00, 0x0001)),
                     ("b", "BF16", [2], struct.pack("<2H", 0x3f80, 0xff80))],
                    metadata={"format": "kinecolor.bigcolor", "name": "seed"}), "f16-bf16-metadata")
    put(safetensors([("step", "I64", [], struct.pack("<q", 7)), ("gamma", "F32", [], f32(0.25)),
                     ("empty", "F32", [0, 4], b"")]), "scalar-empty-i64")
    put(safetensors([], metadata={"config": json.dumps(TINY_CONFIG), "inference": json.dumps(INFERENCE)}), "metadata-only")
    put(safetensors([("w", "F32", [1], f32(1))], pad=False), "unpadded")
    put(struct.pack("<Q", 2) + b"{}", "empty-header")

    put = target("npy")
    put(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f32(*range(6))), "2x3")
    put(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", f32(1.5)), "scalar")
    put(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", b""), "empty")
    put(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2, 2), }", f32(1, 2, 3, 4), version=2), "v2")
    put(npy("{'descr': '<f8', 'fortran_order': True, 'shape': (1L,), }", b"\0" * 8), "f8-fortran")
    put(npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': [1], }", f32(1)), "structured")

    put = target("config")
    for label, cfg in [("tiny", TINY_CONFIG), ("default", DEFAULT_CONFIG), ("bigcolor", BIGCOLOR_CONFIG)]:
        put(json.dumps(cfg), label)
    put(json.dumps(DEFAULT_CONFIG) + "\0" + json.dumps(INFERENCE), "with-inference")
    put(json.dumps(TINY_CONFIG) + "\0{}", "empty-inference")

    # Known crashes waiting for the config bounds checks (Docs/fuzzing.md): these seeds make the
    # target fail at once until the fix lands, and stay as regression seeds after it.
    for label, change in [("z-chunk-2e62", {"z_chunk": 2**62}), ("first-block-int-max", {"generator_first_block": 2**63 - 1})]:
        cfg = dict(TINY_CONFIG); cfg.update(change)
        put(json.dumps(cfg), "known-" + label)

    put = target("model")
    put(safetensors([], metadata={"format": "kinecolor.bigcolor", "config": json.dumps(TINY_CONFIG),
                                  "class_names": json.dumps([f"class{i}" for i in range(10)]),
                                  "inference": json.dumps(INFERENCE)}), "tiny-config-no-weights")
    put(safetensors([("E.res1.conv1.weight", "F32", [1], f32(0))], metadata={"config": json.dumps(DEFAULT_CONFIG)}), "default-config")
    for label, change in [("z-chunk-2e62", {"z_chunk": 2**62}), ("shared-dim-1e12", {"shared_dim": 10**12}),
                          ("widths-65536", {"encoder_channels": [65536] * 5, "generator_channels": [65536] * 5})]:
        cfg = dict(TINY_CONFIG); cfg.update(change)
        put(safetensors([], metadata={"config": json.dumps(cfg)}), "known-" + label)

    put = target("timecode")
    for i, t in enumerate(["00:01:02.5", "01:02:03.040", "1:02:05", "02:05.5", "90:00", "12.5", "62.5s", " 62 ", ".5",
                           "12.", "00:00:00.042", "1:60", "01:02:03:04"]):
        put(t, f"t{i}")
    # Crashes found by fuzzing, kept as seeds (regression tests: Tests/ShotsTests/TimecodeTests.swift).
    put("212777777777777777777777777771", "crash-huge-seconds")

    put = target("project")
    shots = [{"class": "street", "end_frame": 44, "end_timecode": "00:00:01.760", "notes": "", "seed": 2, "shot": 1,
              "skip": False, "start_frame": 1, "start_timecode": "00:00:00.000"},
             {"class": "3", "end_frame": 132, "end_timecode": "00:00:05.280", "notes": "night", "seed": 18446744073709551615,
              "shot": 2, "skip": True, "start_frame": 45, "start_timecode": "00:00:01.760"}]
    project = {"defaults": {"class": "auto", "saturation": 1.2, "seed": 2, "size": 192, "smooth": 3, "z_std": 0.8},
               "format": "kinecolor-project",
               "input": {"duration_seconds": 5.28, "fingerprint": "sha256-8MiB:44dd", "frame_count": 132,
                         "path": "/films/bunny.mp4", "size_bytes": 736980, "video_stream": None},
               "model": {"name": "kinecolor-default-v2", "path": None, "sha256": "ab"},
               "shots": shots, "version": 1}
    put(json.dumps(project, indent=2), "two-shots")
    p = json.loads(json.dumps(project)); p["shots"] = shots[:1]; p["input"]["frame_count"] = 44
    del p["defaults"]["saturation"]; p["input"]["video_stream"] = 0; p["model"]["path"] = "/m/model.safetensors"
    put(json.dumps(p), "one-shot-no-saturation")
    p = json.loads(json.dumps(project)); p["shots"][1]["start_frame"] = 50
    put(json.dumps(p), "gap")
    p = json.loads(json.dumps(project)); p["version"] = 2
    put(json.dumps(p), "version-2")
    # Crashes found by fuzzing, kept as seeds (regression tests: Tests/PipelineTests/ProjectFileTests.swift).
    p = json.loads(json.dumps(project)); p["shots"] = shots[:1]; p["shots"][0]["end_frame"] = 2**63 - 1
    put(json.dumps(p), "crash-end-frame-int-max")


if __name__ == "__main__":
    main()
