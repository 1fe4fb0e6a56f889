#!/usr/bin/python3
"""Nabla vs PyTorch on the model workloads of `nabla bench` (CONTRACTS §5, §6), measured in one run.

Train: batch 64, forward + cross-entropy + backward + SGD(momentum 0.9) step on random input.
Infer: eval mode, no grad, batch 256. Both sides report the best mean rate over windows of whole steps
(each window >= 0.3 s) after warm-up, as BenchWorkloads.cs does.

usage: /usr/bin/python3 bench/compare_pytorch.py [--threads 2] [--workloads mlp,lenet5,...] [--rounds 2] [--json]
       /usr/bin/python3 bench/compare_pytorch.py --torch-only [--int8] [--threads 2] [--workloads ...]

--torch-only --int8 adds PyTorch's own int8 inference (eager-mode static PTQ, torch.ao.quantization; fbgemm, or
onednn and qnnpack where the build lacks fbgemm) per workload.

Rounds alternate PyTorch and Nabla so that a busy machine penalises both alike; each side keeps its best
figure over the rounds (PyTorch is measured at least twice). Ratios are Nabla / PyTorch.
"""
import argparse
import json
import os
import subprocess
import time

import openblas_core

openblas_core.ensure(openblas_core.threads_arg(2))  # before torch loads OpenBLAS

import torch
import torch.nn as nn

MODELS = ["mlp", "lenet5", "mnist-cnn", "alexnet-mnist"]
TRAIN_BATCH, INFER_BATCH = 64, 256


def build(name):
    """The zoo architectures (models/*.spec) as nn.Sequential."""
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                             nn.Linear(256, 10))
    if name == "lenet5":
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    if name == "mnist-cnn":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
                             nn.Linear(128, 10))
    if name == "alexnet-mnist":
        return nn.Sequential(nn.Conv2d(1, 96, 4), nn.ReLU(), nn.Conv2d(96, 96, 3), nn.ReLU(),
                             nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
                             nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
                             nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten(),
                             nn.Dropout(0.5), nn.LazyLinear(800), nn.ReLU(), nn.Linear(800, 10))
    raise ValueError(name)


def best_rate(step, warmup, window=0.3, min_seconds=2.0, min_windows=3):
    """Best mean steps/s over windows of whole steps, after warm-up."""
    for _ in range(warmup):
        step()
    best, start, w = 0.0, time.perf_counter(), 0
    while w < min_windows or time.perf_counter() - start < min_seconds:
        t0, steps = time.perf_counter(), 0
        while True:
            step()
            steps += 1
            if time.perf_counter() - t0 >= window:
                break
        best = max(best, steps / (time.perf_counter() - t0))
        w += 1
    return best


def torch_workload(name):
    torch.manual_seed(1)
    model = build(name)
    with torch.no_grad():
        model(torch.randn(1, 1, 28, 28))  # materialise the lazy layer
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(TRAIN_BATCH, 1, 28, 28)
    y = torch.randint(0, 10, (TRAIN_BATCH,))
    xi = torch.randn(INFER_BATCH, 1, 28, 28)
    loss_fn = nn.CrossEntropyLoss()

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    def infer_step():
        with torch.no_grad():
            model(xi)

    model.train()
    train = best_rate(train_step, warmup=3) * TRAIN_BATCH
    model.eval()
    infer = best_rate(infer_step, warmup=2) * INFER_BATCH
    return train, infer


def int8_engines():
    """PyTorch's quantized CPU engines to measure: fbgemm where the build has it, else (Debian's 1.13 has no fbgemm)
    onednn and qnnpack, each reported by name."""
    engines = torch.backends.quantized.supported_engines
    return ["fbgemm"] if "fbgemm" in engines else [e for e in ("onednn", "qnnpack") if e in engines]


def torch_int8_infer(name, engine):
    """Inference img/s of PyTorch's own int8 path: eager-mode static post-training quantisation (QuantStub /
    DeQuantStub around the network, conv+relu and linear+relu fused, the engine's default qconfig: per-channel
    weights, histogram-calibrated activations), calibrated on 4 random batches (`nabla bench --precision int8`
    calibrates on its random inference batch); batch 256, the same best-window rate."""
    from torch.ao import quantization as tq
    torch.backends.quantized.engine = engine
    torch.manual_seed(1)
    body = build(name)
    with torch.no_grad():
        body(torch.randn(1, 1, 28, 28))  # materialise the lazy layer
    model = nn.Sequential(tq.QuantStub(), body, tq.DeQuantStub()).eval()
    layers = list(body)
    pairs = [[f"1.{i}", f"1.{i + 1}"] for i in range(len(layers) - 1)
             if isinstance(layers[i], (nn.Conv2d, nn.Linear)) and isinstance(layers[i + 1], nn.ReLU)]
    model = tq.fuse_modules(model, pairs)
    model.qconfig = tq.get_default_qconfig(engine)
    tq.prepare(model, inplace=True)
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(INFER_BATCH, 1, 28, 28))
    tq.convert(model, inplace=True)
    xi = torch.randn(INFER_BATCH, 1, 28, 28)

    def infer_step():
        with torch.no_grad():
            model(xi)

    return best_rate(infer_step, warmup=2) * INFER_BATCH


def nabla_bench(root, threads, workloads):
    out = subprocess.run([os.path.join(root, "nabla"), "bench", "--workloads", ",".join(workloads),
                          "--threads", str(threads), "--json"], check=True, capture_output=True, text=True).stdout
    return {w["name"]: (w["train_img_per_s"], w["infer_img_per_s"]) for w in json.loads(out)["workloads"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workloads", default=",".join(MODELS))
    ap.add_argument("--rounds", type=int, default=2, help="alternate PyTorch and Nabla this many times (>= 2)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--int8", action="store_true", help="with --torch-only: also PyTorch's quantized int8 inference")
    ap.add_argument("--torch-only", action="store_true",
                    help="measure PyTorch alone, once, and print its figures as `nabla bench --json` does")
    args = ap.parse_args()
    names = [w for w in args.workloads.split(",") if w]
    for n in names:
        if n not in MODELS:
            ap.error(f"--workloads: unknown workload '{n}' (known: {','.join(MODELS)})")
    torch.set_num_threads(args.threads)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if args.torch_only:
        rows = []
        for n in names:
            t, i = torch_workload(n)
            row = {"name": n, "batch": TRAIN_BATCH, "train_img_per_s": round(t, 1), "infer_img_per_s": round(i, 1)}
            if args.int8:
                for engine in int8_engines():
                    try:
                        row[f"int8_{engine}_infer_img_per_s"] = round(torch_int8_infer(n, engine), 1)
                    except Exception as e:  # an engine that cannot run a layer: say so instead of a figure
                        row[f"int8_{engine}_error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"
            rows.append(row)
        out = {"threads": args.threads, "torch": torch.__version__, "blas": openblas_core.describe(), "workloads": rows}
        if args.int8:
            out["int8_engines"] = int8_engines()
            if "fbgemm" not in torch.backends.quantized.supported_engines:
                out["int8_note"] = (f"this PyTorch {torch.__version__} build has no fbgemm engine (it has "
                                    f"{', '.join(torch.backends.quantized.supported_engines)}); measured: {', '.join(int8_engines())}")
        print(json.dumps(out))
        return
    rounds = max(2, args.rounds)
    torch_runs = {n: [] for n in names}
    nabla_runs = {n: [] for n in names}
    for _ in range(rounds):
        for n in names:
            torch_runs[n].append(torch_workload(n))
        for n, v in nabla_bench(root, args.threads, names).items():
            nabla_runs[n].append(v)

    rows = []
    for n in names:
        tt = max(r[0] for r in torch_runs[n]); ti = max(r[1] for r in torch_runs[n])
        nt = max(r[0] for r in nabla_runs[n]); ni = max(r[1] for r in nabla_runs[n])
        rows.append({"name": n, "torch_train": round(tt, 1), "nabla_train": round(nt, 1), "train_ratio": round(nt / tt, 3),
                     "torch_infer": round(ti, 1), "nabla_infer": round(ni, 1), "infer_ratio": round(ni / ti, 3),
                     "torch_train_runs": [round(r[0], 1) for r in torch_runs[n]],
                     "nabla_train_runs": [round(r[0], 1) for r in nabla_runs[n]],
                     "torch_infer_runs": [round(r[1], 1) for r in torch_runs[n]],
                     "nabla_infer_runs": [round(r[1], 1) for r in nabla_runs[n]]})
    if args.json:
        print(json.dumps({"threads": args.threads, "torch": torch.__version__, "blas": openblas_core.describe(),
                          "rounds": rounds, "workloads": rows}))
        return
    print(f"PyTorch {torch.__version__} vs Nabla, {args.threads} threads, best of {rounds} rounds each (img/s)")
    print(openblas_core.describe())
    print(f"{'workload':<14} {'torch train':>11} {'nabla train':>11} {'ratio':>6}   {'torch infer':>11} {'nabla infer':>11} {'ratio':>6}")
    for r in rows:
        print(f"{r['name']:<14} {r['torch_train']:>11.1f} {r['nabla_train']:>11.1f} {r['train_ratio']:>6.2f}   "
              f"{r['torch_infer']:>11.1f} {r['nabla_infer']:>11.1f} {r['infer_ratio']:>6.2f}")
    print("spread (all rounds, img/s):")
    for r in rows:
        print(f"  {r['name']:<14} train torch {r['torch_train_runs']} nabla {r['nabla_train_runs']}; "
              f"infer torch {r['torch_infer_runs']} nabla {r['nabla_infer_runs']}")


if __name__ == "__main__":
    main()
