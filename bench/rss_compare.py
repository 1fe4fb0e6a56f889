#!/usr/bin/python3
"""Peak resident memory (RSS) of training mnist-cnn on real MNIST: `nabla train` against the same job in PyTorch.

Both sides load the four MNIST IDX files from Nabla's cache (run `./nabla train` once first), train mnist-cnn
(CONTRACTS §6) with Adam, batch 64, over the first --subset training images for one epoch, then evaluate the
10,000 test images. Each side runs in its own child process; its peak RSS is the child's ru_maxrss (the kernel's
high-water mark of resident memory, libraries and runtime included).

usage: /usr/bin/python3 bench/rss_compare.py [--subset 6400] [--threads 2] [--data DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import gzip, os, sys, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
data, subset, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(1)

def idx(name):
    path = os.path.join(data, name)
    with open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)

def load(prefix):
    x = torch.from_numpy(idx(prefix + "-images-idx3-ubyte").astype(np.float32) / 255.0)
    x = ((x - 0.1307) / 0.3081).unsqueeze(1)
    y = torch.from_numpy(idx(prefix + "-labels-idx1-ubyte").astype(np.int64))
    return x, y

xtr, ytr = load("train")
xte, yte = load("t10k")
xtr, ytr = xtr[:subset], ytr[:subset]
model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
                      nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
perm = torch.randperm(len(xtr))
model.train()
for i in range(0, len(xtr), 64):
    b = perm[i:i + 64]
    opt.zero_grad()
    F.cross_entropy(model(xtr[b]), ytr[b]).backward()
    opt.step()
model.eval()
correct = 0
with torch.no_grad():
    for i in range(0, len(xte), 1000):
        correct += (model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item()
print(f"pytorch test accuracy {correct / len(xte):.4f}")
"""


def run_child(cmd):
    """Runs cmd to completion; returns (peak RSS of that child in MiB, seconds)."""
    t0 = time.perf_counter()
    # ru_maxrss of RUSAGE_CHILDREN is the largest of any child waited for so far, so each side runs under a tiny
    # wrapper process that reports the figure of its own single child.
    wrapper = ("import resource,subprocess,sys;"
               "r=subprocess.run(sys.argv[1:]);"
               "print('maxrss_kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr);"
               "sys.exit(r.returncode)")
    p = subprocess.run([sys.executable, "-c", wrapper, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"rss_compare: {' '.join(cmd[:3])} ... failed ({p.returncode}): {p.stderr.strip()[-500:]}")
    kib = int([l for l in p.stderr.splitlines() if l.startswith("maxrss_kib")][-1].split()[1])
    return kib / 1024.0, seconds, p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subset", type=int, default=6400)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=os.path.join(os.environ.get("NABLA_DATA", os.path.expanduser("~/.cache/nabla")), "mnist"))
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.data, "train-images-idx3-ubyte")):
        sys.exit(f"rss_compare: {args.data}: no MNIST IDX files (run ./nabla train once, or pass --data DIR)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    nabla = os.path.join(root, "nabla")
    subprocess.run([nabla, "--help"], stdout=subprocess.DEVNULL, check=True)  # build before measuring
    with tempfile.TemporaryDirectory() as out:
        nab = run_child([nabla, "train", "--model", "mnist-cnn", "--epochs", "1", "--subset", str(args.subset),
                         "--threads", str(args.threads), "--data", args.data, "--out", out])
    torch_side = run_child([sys.executable, "-c", CHILD, args.data, str(args.subset), str(args.threads)])
    print(f"mnist-cnn, 1 epoch over {args.subset} training images + 10,000 test images, {args.threads} threads")
    print(f"{'side':8} {'peak RSS MiB':>12} {'seconds':>8}  last line")
    for name, (mib, sec, last) in (("nabla", nab), ("pytorch", torch_side)):
        print(f"{name:8} {mib:12.1f} {sec:8.1f}  {last}")
    print(f"ratio nabla/pytorch peak RSS: {nab[0] / torch_side[0]:.2f}")


if __name__ == "__main__":
    main()
