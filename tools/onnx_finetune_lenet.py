#!/usr/bin/python3
"""Fine-tuning a PyTorch-exported LeNet in Nabla (docs/onnx.md, issue 18), with Debian's PyTorch 1.13.

    /usr/bin/python3 tools/onnx_finetune_lenet.py [--work DIR] [--torch-epochs 1] [--torch-subset 6000] [--epochs 1]

1. PyTorch trains a LeNet-5 (torch.nn modules named conv1, conv2, fc1, fc2, fc3) for --torch-epochs on the first
   --torch-subset MNIST training images (SGD momentum 0.9, lr 0.01, batch 64, MNIST's normalisation, as nabla's
   default), measures its test accuracy, and exports it with torch.onnx.export (opset 13, dynamic batch).
2. `nabla eval --model lenet.onnx` measures the imported file's test accuracy: it must equal PyTorch's (same
   weights, same data), which shows that the import is the same network.
3. `nabla train --model lenet.onnx --epochs E` fine-tunes it from the file's weights on all 60,000 images, and
   `nabla train --model lenet.onnx --init --epochs E` trains the same graph from a fresh initialisation, for
   comparison. Prints a markdown table of the four accuracies.

MNIST is read from $NABLA_DATA or ~/.cache/nabla/mnist (the IDX files `./nabla train` fetches).
"""
import argparse
import os
import re
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NABLA = os.path.join(ROOT, "nabla")


def idx(path):
    with open(path, "rb") as f:
        magic, = struct.unpack(">i", f.read(4))
        dims = struct.unpack(">" + "i" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def mnist(folder, kind):
    x = idx(os.path.join(folder, f"{kind}-images-idx3-ubyte")).astype(np.float32) / np.float32(255)
    y = idx(os.path.join(folder, f"{kind}-labels-idx1-ubyte")).astype(np.int64)
    x = (x - np.float32(0.1307)) / np.float32(0.3081)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return float((model(x).argmax(1) == y).double().mean()) * 100


def nabla(*args):
    proc = subprocess.run([NABLA, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"nabla {' '.join(args)}: exit {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work")
    p.add_argument("--torch-epochs", type=int, default=1)
    p.add_argument("--torch-subset", type=int, default=6000)
    p.add_argument("--epochs", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(1)
    data = os.environ.get("NABLA_DATA") or os.path.expanduser("~/.cache/nabla/mnist")
    work = a.work or tempfile.mkdtemp(prefix="nabla-finetune-")
    os.makedirs(work, exist_ok=True)
    xtr, ytr = mnist(data, "train")
    xte, yte = mnist(data, "t10k")
    model = LeNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    n = a.torch_subset
    for _ in range(a.torch_epochs):
        model.train()
        perm = torch.randperm(n)
        for i in range(0, n, 64):
            b = perm[i:i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(model(xtr[b]), ytr[b]).backward()
            opt.step()
    torch_acc = accuracy(model, xte, yte)
    path = os.path.join(work, "lenet.onnx")
    torch.onnx.export(model.eval(), torch.zeros(1, 1, 28, 28), path, opset_version=13, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})

    def acc(text):
        m = re.search(r"accuracy[^0-9]*([0-9.]+)\s*%", text)
        if not m:
            sys.exit(f"no accuracy in nabla's output:\n{text}")
        return float(m.group(1))

    imported = acc(nabla("eval", "--model", path, "--data", data))
    tuned = acc(nabla("train", "--model", path, "--data", data, "--epochs", str(a.epochs), "--out", os.path.join(work, "tuned")))
    fresh = acc(nabla("train", "--model", path, "--init", "--data", data, "--epochs", str(a.epochs), "--out", os.path.join(work, "fresh")))
    print(f"| step | test accuracy, % |\n| --- | ---: |")
    print(f"| PyTorch LeNet-5, {a.torch_epochs} epoch(s) on {n} images | {torch_acc:.2f} |")
    print(f"| `nabla eval --model lenet.onnx` (the exported file) | {imported:.2f} |")
    print(f"| `nabla train --model lenet.onnx --epochs {a.epochs}` (fine-tuned from the file) | {tuned:.2f} |")
    print(f"| `nabla train --model lenet.onnx --init --epochs {a.epochs}` (fresh weights) | {fresh:.2f} |")
    print(f"(work dir {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
