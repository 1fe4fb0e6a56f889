#!/usr/bin/python3
"""Every zoo model through `nabla export --format onnx`, with and without --fold-bn, checked by ONNX's own checker
and run in ONNX Runtime against Nabla.

    /usr/bin/python3 tools/check_onnx_export.py [--models alexnet,vgg16,...] [--work DIR] [--markdown]

For each model it writes random weights (tools/onnx_check: PyTorch-default initialisation, every BatchNorm given
random affine parameters and running statistics), exports them with `./nabla export --format onnx` (and again with
--fold-bn) into a temporary folder, runs onnx.checker.check_model(model, full_check=True) (onnx 1.12: the schema of
every node at opset 17 and full shape inference), and runs the file in ONNX Runtime 1.32 (tools/onnx_check, C#:
Python here has no onnxruntime) at batch 1 and 2 against Nabla's own evaluation-mode forward of the same weights:
err = ||ort - nabla||_inf / ||nabla||_inf <= 1e-4. alexnet and vgg16 (3x224x224, 61 M and 138 M parameters) are
the reason this is a script: the suite runs the other models (tests/Nabla.Tests/IO/Onnx/OnnxExportRuntimeTests.cs).
Prints a table (--markdown: the one in docs/onnx-export.md); exit 1 when any check fails.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NABLA = os.path.join(ROOT, "nabla")
CHECK = os.path.join(ROOT, "tools", "onnx_check")
ZOO = ["mlp", "lenet5", "mnist-cnn", "alexnet-mnist", "alexnet", "vgg16", "resnet18", "inception-naive",
       "inception-bottleneck"]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, r.stdout.strip(), r.stderr.strip()


def onnx_check(*args):
    """tools/onnx_check, built once in Release."""
    dll = os.path.join(CHECK, "bin", "Release", "net10.0", "OnnxCheck.dll")
    return run(["dotnet", dll, *args])


def checker(path):
    """onnx.checker with full_check; returns 'ok' or the first line of its complaint."""
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
        return "ok"
    except Exception as e:  # noqa: BLE001 (the checker raises several types; all are a failed check)
        return str(e).splitlines()[0][:80]


def check_model(name, work):
    weights = os.path.join(work, name + ".safetensors")
    code, _, err = onnx_check("weights", name, weights)
    if code != 0:
        raise SystemExit(f"check_onnx_export: weights for {name}: {err}")
    rows = []
    for fold in (False, True):
        out = os.path.join(work, name + ("-folded" if fold else "") + ".onnx")
        t0 = time.perf_counter()
        code, _, err = run([NABLA, "export", "--model", name, "--weights", weights, "--format", "onnx", "--out", out]
                           + (["--fold-bn"] if fold else []))
        export_s = time.perf_counter() - t0
        if code != 0:
            rows.append((name, fold, "-", "-", "-", "export failed: " + err, "-", False))
            continue
        model = onnx.load(out)
        nodes = len(model.graph.node)
        size_mb = os.path.getsize(out) / 1e6
        verdict = checker(out)
        code, line, err = onnx_check("ort", name, weights, out)
        ort = line.split()[0] if line else "error: " + err.splitlines()[0] if err else "error"
        ok = verdict == "ok" and code == 0
        rows.append((name, fold, nodes, f"{size_mb:.1f}", f"{export_s:.1f}", verdict, ort, ok))
        os.remove(out)
    os.remove(weights)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(ZOO))
    ap.add_argument("--work", default=None, help="folder for the files (default: a temporary one, removed)")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    code, _, err = run(["dotnet", "build", CHECK, "-c", "Release", "-nologo", "-v", "q", "-clp:ErrorsOnly"])
    if code != 0:
        raise SystemExit(f"check_onnx_export: building tools/onnx_check failed: {err}")
    work = args.work or tempfile.mkdtemp(prefix="nabla-onnx-export-")
    os.makedirs(work, exist_ok=True)
    rows = []
    try:
        for name in args.models.split(","):
            rows.extend(check_model(name, work))
            print(f"{name}: done", file=sys.stderr, flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    head = ("model", "--fold-bn", "nodes", "MB", "export s", "onnx.checker (full_check)", "ORT vs Nabla, batch 1 and 2")
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join([r[0], "yes" if r[1] else "no", *map(str, r[2:7])]) + " |")
    else:
        print(f"{head[0]:<22} {head[1]:<9} {head[2]:>5} {head[3]:>7} {head[4]:>8}  {head[5]:<26} {head[6]}")
        for r in rows:
            print(f"{r[0]:<22} {'yes' if r[1] else 'no':<9} {r[2]:>5} {r[3]:>7} {r[4]:>8}  {r[5]:<26} {r[6]}")
    failed = [r for r in rows if not r[7]]
    print(f"{len(rows) - len(failed)}/{len(rows)} exports pass the checker and agree with Nabla within 1e-4 in ONNX Runtime",
          file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
