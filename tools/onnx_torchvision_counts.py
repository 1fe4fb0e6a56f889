#!/usr/bin/python3
"""torchvision models exported by PyTorch, summarised by `nabla summary`: are the parameter counts torchvision's?

    /usr/bin/python3 tools/onnx_torchvision_counts.py [--models resnet18,...] [--opset 17] [--work DIR] [--markdown] [--distinct]

Builds resnet18, vgg16, alexnet, googlenet (aux_logits=False) and mobilenet_v2 from torchvision with random weights
(weights=None: nothing is downloaded), exports each with torch.onnx.export (3x224x224, the given opset, constant
folding on, training=PRESERVE: BatchNorm stays a node, not fused into the conv) into a temporary folder, runs `./nabla summary FILE.onnx --format json` on it and compares the total
`params` with torchvision's trainable parameter count, sum(p.numel() for p in model.parameters()) (resnet18:
11,689,512; BatchNorm running statistics are not parameters, CONTRACTS §4). A model that Nabla cannot import is
reported with the importer's one-line message (the operator it does not support). Prints a table (--markdown: the
one in docs/onnx-export.md); exit 1 when a count differs or an import fails.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import torch
import torchvision

torch.set_num_threads(2)
warnings.filterwarnings("ignore")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NABLA = os.path.join(ROOT, "nabla")
MODELS = {
    "resnet18": lambda: torchvision.models.resnet18(weights=None),
    "vgg16": lambda: torchvision.models.vgg16(weights=None),
    "alexnet": lambda: torchvision.models.alexnet(weights=None),
    "googlenet": lambda: torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=True),
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(weights=None),
}


def check(name, opset, work, distinct=False):
    torch.manual_seed(0)
    model = MODELS[name]().eval()
    expected = sum(p.numel() for p in model.parameters())
    # As initialised, many initializers have equal values (every BatchNorm's running_mean equals its zero bias,
    # running_var its unit weight; vgg's zero conv biases each other): torch.onnx.export keeps one of each and writes
    # the duplicates as Identity nodes of it, which the importer aliases. --distinct perturbs every tensor first, as
    # in a trained model, for a file without those Identity nodes.
    if distinct:
        with torch.no_grad():
            for key, t in model.state_dict().items():
                if t.is_floating_point():
                    t.copy_(torch.rand_like(t) + 0.5 if key.endswith("running_var") else t + 0.01 * torch.randn_like(t))
    path = os.path.join(work, f"{name}.onnx")
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), path, opset_version=opset, do_constant_folding=True,
                      input_names=["input"], output_names=["output"],
                      training=torch.onnx.TrainingMode.PRESERVE)
    size_mb = os.path.getsize(path) / 1e6
    r = subprocess.run([NABLA, "summary", path, "--format", "json"], capture_output=True, text=True)
    os.remove(path)
    if r.returncode != 0:
        return name, expected, None, size_mb, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}"
    summary = json.loads(r.stdout)
    return name, expected, summary["total"]["params"], size_mb, f"{len(summary['layers'])} rows"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--work", default=None, help="folder for the .onnx files (default: a temporary one, removed)")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--distinct", action="store_true", help="perturb every weight first (no deduplicated initializers)")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="nabla-torchvision-")
    os.makedirs(work, exist_ok=True)
    rows = []
    try:
        for name in args.models.split(","):
            rows.append(check(name, args.opset, work, args.distinct))
            print(f"{name}: done", file=sys.stderr, flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    head = ("model", "torchvision params", "nabla summary params", "equal", "MB", "nabla summary")
    fmt = lambda n: "-" if n is None else f"{n:,}"  # noqa: E731
    table = [(n, fmt(e), fmt(g), "yes" if e == g else "no", f"{mb:.1f}", note) for n, e, g, mb, note in rows]
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for t in table:
            print("| " + " | ".join(t) + " |")
    else:
        print(f"{head[0]:<14} {head[1]:>19} {head[2]:>21} {head[3]:>5} {head[4]:>7}  {head[5]}")
        for t in table:
            print(f"{t[0]:<14} {t[1]:>19} {t[2]:>21} {t[3]:>5} {t[4]:>7}  {t[5]}")
    bad = [t for t in table if t[3] != "yes"]
    print(f"opset {args.opset}: {len(table) - len(bad)}/{len(table)} models summarised with torchvision's parameter count",
          file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
