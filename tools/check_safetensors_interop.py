#!/usr/bin/python3
"""Checks that Python (tools/safetensors_io.py) and Nabla exchange safetensors files.

    /usr/bin/python3 tools/check_safetensors_interop.py --write-fixture
        writes tests/Nabla.Tests/Fixtures/safetensors/python_written.{safetensors,json}: a file written
        by Python and, beside it, the exact bit patterns of every value (the C# test
        SafeTensorsFixtureTests reads the file, checks every bit, and checks that Nabla's writer
        reproduces the file byte for byte from those values).
    /usr/bin/python3 tools/check_safetensors_interop.py FILE.safetensors ...
        reads files Nabla wrote and checks that they parse and that Python, writing the same tensors,
        produces the identical bytes (same layout rules on both sides).
Without arguments it runs a self-test of the Python reader/writer. Exit 1 on any mismatch.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE_DIR = os.path.join(ROOT, "tests", "Nabla.Tests", "Fixtures", "safetensors")


def fixture_tensors():
    rng = np.random.default_rng(20240607)
    f32 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    f32.flat[0:6] = [np.nan, np.inf, -np.inf, -0.0, np.float32(1e-45), np.finfo(np.float32).max]
    f64 = np.array([0.1, -2.5, 1e300, -1e-320, np.nan, 3.4028235677973366e38, 1.0000000596046448], dtype=np.float64)
    return {
        "layer.weight": f32,
        "layer.bias": rng.standard_normal(4).astype(np.float32),
        "loss": np.array(0.6931472, dtype=np.float32),          # a scalar, shape []
        "empty": np.zeros((0, 3), dtype=np.float32),
        "double": f64,
        "bn.num_batches_tracked": np.array(12345, dtype=np.int64),
        "ints": np.array([[np.iinfo(np.int64).min, -1, 0], [1, 2**53 + 1, np.iinfo(np.int64).max]], dtype=np.int64),
        "\u03c9.grad": rng.standard_normal((1, 1)).astype(np.float32),  # a non-ASCII name
        "q.weight": np.array([[-128, -127, -1, 0], [1, 2, 126, 127]], dtype=np.int8),  # int8 codes (I8)
    }


def bits(array):
    view = {1: np.uint8, 4: np.uint32, 8: np.uint64}[array.dtype.itemsize]
    return ["%x" % int(b) for b in array.reshape(-1).view(view)]


def write_fixture():
    tensors = fixture_tensors()
    metadata = {"format": "pt", "written_by": "tools/check_safetensors_interop.py", "note": "caf\u00e9 \u2713"}
    os.makedirs(FIXTURE_DIR, exist_ok=True)
    path = os.path.join(FIXTURE_DIR, "python_written.safetensors")
    st.save(path, tensors, metadata)
    expected = {"metadata": metadata, "tensors": {}}
    for name, array in tensors.items():
        dtype = st._dtype_name(array, name)
        entry = {"dtype": dtype, "shape": list(array.shape), "bits": bits(array)}
        if dtype == "F64":  # what Nabla's float32 view must hold: numpy's round-to-nearest-even conversion
            with np.errstate(over="ignore"):  # 1e300 becomes inf in float32, as intended
                entry["float32_bits"] = bits(array.astype(np.float32))
        expected["tensors"][name] = entry
    with open(os.path.join(FIXTURE_DIR, "python_written.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes) and python_written.json")


def check_files(paths):
    failures = 0
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        try:
            tensors, metadata = st.from_bytes(data, path)
        except ValueError as e:
            print(f"FAIL {e}")
            failures += 1
            continue
        same = st.to_bytes(tensors, metadata) == data
        print(f"{'ok  ' if same else 'FAIL'} {path}: {len(tensors)} tensors, {len(metadata)} metadata keys,"
              f" {'byte-identical to' if same else 'differs from'} Python's layout")
        failures += not same
    return failures


def self_test():
    rng = np.random.default_rng(1)
    for trial in range(200):
        tensors = {}
        for i in range(rng.integers(0, 6)):
            shape = tuple(int(d) for d in rng.integers(0, 4, rng.integers(0, 4)))
            dtype = [np.float32, np.float64, np.int64][rng.integers(0, 3)]
            tensors[f"t{rng.integers(0, 1000)}.{i}"] = (rng.standard_normal(shape) * 100).astype(dtype)
        data = st.to_bytes(tensors, {"trial": str(trial)})
        back, meta = st.from_bytes(data)
        assert meta == {"trial": str(trial)} and back.keys() == tensors.keys()
        for k, v in tensors.items():
            assert back[k].dtype == v.dtype and back[k].shape == v.shape and np.array_equal(back[k], v), k
        assert st.to_bytes(back, meta) == data
    good = st.to_bytes({"x": np.ones(2, np.float32)})
    bad = [good[:5], good[:-1], b"\xff" * 8 + good[8:], good[:8] + b"[" + good[9:]]
    for b in bad:
        try:
            st.from_bytes(b)
        except ValueError:
            continue
        raise AssertionError(f"accepted malformed {b!r}")
    print("self-test: 200 random round trips and 4 malformed files ok")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--write-fixture"]:
        write_fixture()
    elif args:
        sys.exit(1 if check_files(args) else 0)
    else:
        self_test()
