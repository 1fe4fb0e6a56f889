#!/usr/bin/python3
"""torch.matmul GFLOP/s on square float32 matrices, measured like `nabla bench --workloads gemm`:
best single call after warm-up, GFLOP/s = 2 n^3 / t.

usage: /usr/bin/python3 bench/gemm_pytorch.py [--threads T] [--sizes 1024,2048] [--json]
With --nabla, also runs `./nabla bench --workloads gemm --json` with the same thread count and prints the
ratio Nabla / PyTorch. --rounds R alternates the two R times and keeps each side's best figure, so that a
busy machine penalises both alike.
"""
import argparse
import json
import os
import subprocess
import time

import openblas_core

openblas_core.ensure(openblas_core.threads_arg(os.cpu_count()))  # before torch loads OpenBLAS

import torch


def best_seconds(fn, warmup=3, min_runs=5, min_seconds=1.5):
    for _ in range(warmup):
        fn()
    best = float("inf")
    start = time.perf_counter()
    runs = 0
    while runs < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        runs += 1
    return best


def torch_gemm(n, threads):
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(n)
    a = torch.rand(n, n, generator=g) - 0.5
    b = torch.rand(n, n, generator=g) - 0.5
    c = torch.empty(n, n)
    t = best_seconds(lambda: torch.matmul(a, b, out=c), min_seconds=3.0 if n >= 2048 else 1.5)
    return 2.0 * n ** 3 / t / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--sizes", default="1024,2048")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--nabla", action="store_true", help="also run ./nabla bench and print ratios")
    ap.add_argument("--rounds", type=int, default=1, help="alternate PyTorch and Nabla this many times, keep the best")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    torch_figs = {n: 0.0 for n in sizes}
    nabla = {}
    for _ in range(max(1, args.rounds)):
        for n in sizes:
            torch_figs[n] = max(torch_figs[n], torch_gemm(n, args.threads))
        if args.nabla:
            out = subprocess.run([os.path.join(root, "nabla"), "bench", "--workloads", "gemm",
                                  "--threads", str(args.threads), "--json"],
                                 check=True, capture_output=True, text=True).stdout
            for g in json.loads(out)["gemm"]:
                nabla[g["n"]] = max(nabla.get(g["n"], 0.0), g["gflops"])
    result = {"threads": args.threads, "torch": torch.__version__, "blas": openblas_core.describe(), "rounds": args.rounds,
              "gemm": [{"n": n, "gflops": round(g, 1)} for n, g in torch_figs.items()]}
    if args.nabla:
        result["nabla"] = [{"n": n, "gflops": nabla[n], "ratio": round(nabla[n] / torch_figs[n], 3)}
                           for n in sizes if n in nabla]
    if args.json:
        print(json.dumps(result))
        return
    print(f"PyTorch {torch.__version__}, {args.threads} threads, best of {args.rounds} round(s)")
    print(result["blas"])
    for n, g in torch_figs.items():
        line = f"gemm n={n:<5} torch {g:7.1f} GFLOP/s"
        for r in result.get("nabla", []):
            if r["n"] == n:
                line += f"   nabla {r['gflops']:7.1f} GFLOP/s   ratio {r['ratio']:.2f}"
        print(line)


if __name__ == "__main__":
    main()
