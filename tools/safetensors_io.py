"""Tiny safetensors reader/writer in pure Python (struct + json + numpy), for exchanging tensors
with Nabla without the `safetensors` package.

    from safetensors_io import save, load, load_torch
    save("batch.safetensors", {"input": x, "target": y}, metadata={"note": "hi"})  # numpy or torch
    tensors, metadata = load("out.safetensors")                                       # numpy arrays

Files are laid out exactly as the reference implementation (and Nabla's writer) lays them out:
8-byte little-endian header length, compact UTF-8 JSON with "__metadata__" first, tensors ordered
by dtype (I64, F64, F32, ... as the reference's dtype order reversed) then by name (UTF-8 bytes),
header padded with spaces to a multiple of 8, data contiguous. So for the same tensors, Python and
Nabla write byte-identical files.
"""
import json
import os
import struct
import tempfile

import numpy as np

# Reference dtype order (safetensors' Dtype enum); files list tensors from the last of these to the first.
_REFERENCE_ORDER = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
_NUMPY = {"BOOL": "?", "U8": "u1", "I8": "i1", "I16": "<i2", "U16": "<u2", "F16": "<f2",
          "I32": "<i4", "U32": "<u4", "F32": "<f4", "F64": "<f8", "I64": "<i8", "U64": "<u8"}
_FROM_NUMPY = {np.dtype(v).newbyteorder("<") if np.dtype(v).itemsize > 1 else np.dtype(v): k for k, v in _NUMPY.items()}
MAX_HEADER = 100_000_000


def _as_numpy(value):
    if hasattr(value, "detach"):  # a torch tensor, without importing torch here
        value = value.detach().cpu().contiguous().numpy()
    array = np.asarray(value)  # not ascontiguousarray: it turns scalars into shape [1]
    return array if array.flags.c_contiguous else array.copy(order="C")


def _dtype_name(array, name):
    key = array.dtype.newbyteorder("<") if array.dtype.itemsize > 1 else array.dtype
    if key not in _FROM_NUMPY:
        raise ValueError(f"tensor {name!r}: dtype {array.dtype} has no safetensors name")
    return _FROM_NUMPY[key]


def to_bytes(tensors, metadata=None):
    """Returns the bytes of a safetensors file holding `tensors` (name -> numpy array or torch tensor)."""
    items = []
    for name, value in tensors.items():
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved")
        array = _as_numpy(value)
        items.append((name, _dtype_name(array, name), array))
    items.sort(key=lambda it: (-_REFERENCE_ORDER.index(it[1]), it[0].encode("utf-8")))
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(metadata[k]) for k in sorted(metadata, key=lambda k: k.encode("utf-8"))}
    for name, dtype, array in items:
        data = array.astype(np.dtype(_NUMPY[dtype]), copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def save(path, tensors, metadata=None):
    """Writes a safetensors file atomically (temporary file in the same folder, fsync, rename)."""
    data = to_bytes(tensors, metadata)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".tmp-", dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file ordinary permissions
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def from_bytes(data, source="<bytes>"):
    """Parses safetensors bytes; returns ({name: numpy array}, {metadata}). Raises ValueError on malformed input."""
    def fail(problem):
        raise ValueError(f"{source}: {problem}")
    if len(data) < 8:
        fail(f"file is {len(data)} bytes, too short for the header length")
    (n,) = struct.unpack_from("<Q", data, 0)
    if n > len(data) - 8 or n > MAX_HEADER:
        fail(f"header length {n} is past the end of the file or above the limit")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        fail(f"header is not valid UTF-8 JSON ({e})")
    if not isinstance(header, dict):
        fail("header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    buffer = memoryview(data)[8 + n:]
    tensors, spans = {}, []
    for name, info in header.items():
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in _NUMPY:
            fail(f"tensor {name!r} has dtype {dtype}")
        count = int(np.prod(shape, dtype=object)) if shape else 1
        if any(not isinstance(d, int) or d < 0 for d in shape) or end - begin != count * np.dtype(_NUMPY[dtype]).itemsize:
            fail(f"tensor {name!r} shape {shape} does not match data_offsets [{begin}, {end}]")
        if not 0 <= begin <= end <= len(buffer):
            fail(f"tensor {name!r} data_offsets [{begin}, {end}] are out of range")
        spans.append((begin, end, name))
        tensors[name] = np.frombuffer(buffer[begin:end], dtype=_NUMPY[dtype]).reshape(shape).copy()
    at = 0
    for begin, end, name in sorted(spans):
        if begin != at:
            fail(f"tensor {name!r} data_offsets [{begin}, {end}] overlap or leave a gap (expected begin {at})")
        at = end
    if at != len(buffer):
        fail(f"data buffer holds {len(buffer)} bytes but the tensors cover {at}")
    return tensors, metadata


def load(path):
    """Reads a safetensors file; returns ({name: numpy array}, {metadata})."""
    with open(path, "rb") as f:
        return from_bytes(f.read(), path)


def load_torch(path):
    """Reads a safetensors file into torch tensors; returns ({name: torch.Tensor}, {metadata})."""
    import torch
    tensors, metadata = load(path)
    return {k: torch.from_numpy(v) for k, v in tensors.items()}, metadata
