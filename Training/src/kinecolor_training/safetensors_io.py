"""Minimal safetensors reader/writer (numpy only).

Written here rather than depending on the `safetensors` pip package so that the
tooling needs nothing beyond numpy (and torch for the model code). Format:
8-byte little-endian header length, a UTF-8 JSON header padded with spaces to a
multiple of 8, then the raw little-endian tensor data; `data_offsets` are
relative to the start of the data section.
"""

import json
import struct

import numpy as np

_WRITE_DTYPES = {
    np.dtype(np.float32): "F32",
    np.dtype(np.float16): "F16",
    np.dtype(np.float64): "F64",
    np.dtype(np.int64): "I64",
    np.dtype(np.int32): "I32",
}
_READ_DTYPES = {name: dtype for dtype, name in _WRITE_DTYPES.items()}


def write_safetensors(path, tensors, metadata=None):
    """tensors: ordered mapping name -> numpy array (written in that order).
    metadata: mapping str -> str, stored as `__metadata__`."""
    header = {}
    if metadata:
        for key, value in metadata.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"safetensors metadata must be str -> str, got {key!r}: {type(value).__name__}")
        header["__metadata__"] = dict(metadata)

    blobs = []
    offset = 0
    for name, array in tensors.items():
        array = np.asarray(array)
        if array.dtype not in _WRITE_DTYPES:
            raise TypeError(f"{name}: unsupported dtype {array.dtype}")
        data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": _WRITE_DTYPES[array.dtype],
            "shape": [int(d) for d in array.shape],
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)

    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for data in blobs:
            f.write(data)


def read_safetensors(path):
    """Returns (tensors, metadata): an ordered dict name -> numpy array (in file
    order; BF16 is widened to float32) and the `__metadata__` dict (or {})."""
    with open(path, "rb") as f:
        raw = f.read()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + header_len].decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    data = memoryview(raw)[8 + header_len:]

    tensors = {}
    for name, info in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
        start, end = info["data_offsets"]
        shape = tuple(info["shape"])
        if info["dtype"] == "BF16":
            bits = np.frombuffer(data[start:end], dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32).reshape(shape)
        else:
            array = np.frombuffer(data[start:end], dtype=_READ_DTYPES[info["dtype"]].newbyteorder("<"))
            array = array.reshape(shape).astype(_READ_DTYPES[info["dtype"]])
        tensors[name] = array
    return tensors, metadata
