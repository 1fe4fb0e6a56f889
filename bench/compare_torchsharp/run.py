#!/usr/bin/python3
"""Nabla vs libtorch 2.10 (TorchSharp-cpu 0.107.0) vs PyTorch 1.13, the `nabla bench` workloads, in one run.

usage: /usr/bin/python3 bench/compare_torchsharp/run.py [--threads 2] [--rounds 3] [--workloads LIST]
                                                      [--no-pytorch] [--int8] [--json]

Each round runs, one after the other: `./nabla bench --json` (FP32; with --int8 also `--precision int8`, and
PyTorch's eager-mode static int8 quantisation per engine, see compare_pytorch.py),
libtorch at 1 thread and at --threads threads, and PyTorch (bench/compare_pytorch.py --torch-only and
bench/gemm_pytorch.py, which pick PyTorch's best OpenBLAS core). Rounds alternate so a busy machine penalises
every side alike; each side keeps its best figure over the rounds, and libtorch keeps the better of its two
thread counts (the rival gets its best). Ratios are Nabla / rival. libtorch needs a newer libstdc++ than
Debian 12's: setup.sh prepares one privately and only the libtorch process sees it (LD_LIBRARY_PATH,
LD_PRELOAD). The TorchSharp project is built here, outside Nabla.slnx.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODELS = ["mlp", "lenet5", "mnist-cnn", "alexnet-mnist"]


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def figures(result):
    """{workload: (train, infer)} and {n: gflops} from a `nabla bench --json`-shaped result."""
    w = {r["name"]: (r["train_img_per_s"], r["infer_img_per_s"]) for r in result.get("workloads", [])}
    g = {r["n"]: r["gflops"] for r in result.get("gemm", [])}
    return w, g


def keep_best(best, result, key):
    w, g = figures(result)
    for n, (t, i) in w.items():
        bt, bi = best.setdefault(key, {}).get(n, (0.0, 0.0))
        best[key][n] = (max(bt, t), max(bi, i))
    for n, v in g.items():
        best.setdefault(key + ":gemm", {})[n] = max(best.get(key + ":gemm", {}).get(n, 0.0), v)


def keep_torch_int8(best, result):
    """PyTorch's own int8 inference (compare_pytorch.py --int8): the best figure per workload and engine, and the
    build's note (no fbgemm) and any engine's error."""
    for r in result.get("workloads", []):
        for k, v in r.items():
            if k.startswith("int8_") and k.endswith("_infer_img_per_s"):
                engine = k[len("int8_"):-len("_infer_img_per_s")]
                d = best.setdefault("pytorch-int8", {}).setdefault(r["name"], {})
                d[engine] = max(d.get(engine, 0.0), v)
            elif k.startswith("int8_") and k.endswith("_error"):
                best.setdefault("pytorch-int8-errors", {})[f"{r['name']} {k[5:-6]}"] = v
    if "int8_note" in result:
        best["pytorch-int8-note"] = result["int8_note"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workloads", default=",".join(MODELS + ["gemm"]))
    ap.add_argument("--no-pytorch", action="store_true")
    ap.add_argument("--int8", action="store_true", help="also measure `nabla bench --precision int8` inference and PyTorch's own int8 path")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    names = [w for w in args.workloads.split(",") if w]
    models = [w for w in names if w in MODELS]
    for n in names:
        if n not in MODELS and n != "gemm":
            ap.error(f"--workloads: unknown workload '{n}'")

    libs = subprocess.run([os.path.join(HERE, "setup.sh")], check=True, capture_output=True, text=True).stdout.strip()
    bin_dir = os.path.join(libs, "bin")
    subprocess.run(["dotnet", "build", "-c", "Release", "-o", bin_dir, os.path.join(HERE, "CompareTorchSharp.csproj")],
                   check=True, capture_output=True)
    ts_env = dict(os.environ)
    if not os.path.exists(os.path.join(libs, "lib", ".system")):
        ts_env["LD_LIBRARY_PATH"] = os.path.join(libs, "lib") + (":" + ts_env["LD_LIBRARY_PATH"] if ts_env.get("LD_LIBRARY_PATH") else "")
        ts_env["LD_PRELOAD"] = os.path.join(libs, "lib", "isoc23_shim.so")
    ts_dll = os.path.join(bin_dir, "CompareTorchSharp.dll")
    nabla = os.path.join(ROOT, "nabla")
    py = "/usr/bin/python3"
    wl = ",".join(names)
    best, blas, ts_threads = {}, "", {}
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for _ in range(max(1, args.rounds)):
        keep_best(best, run_json([nabla, "bench", "--workloads", wl, "--threads", str(args.threads), "--json"]), "nabla")
        if args.int8 and models:
            r8 = run_json([nabla, "bench", "--workloads", ",".join(models), "--threads", str(args.threads),
                           "--precision", "int8", "--json"])
            keep_best(best, r8, "nabla-int8")
            best["nabla-int8-kernel"] = r8.get("int8_kernel", "?")
        for t in sorted({1, args.threads}):
            r = run_json(["dotnet", ts_dll, "--threads", str(t), "--workloads", wl, "--json"], env=ts_env)
            before = json.dumps(best.get("libtorch", {})) + json.dumps(best.get("libtorch:gemm", {}))
            keep_best(best, r, "libtorch")
            w, g = figures(r)
            for n, (tr, inf) in w.items():  # which thread count gave each kept figure
                if best["libtorch"][n][0] == tr: ts_threads[(n, "train")] = t
                if best["libtorch"][n][1] == inf: ts_threads[(n, "infer")] = t
            for n, v in g.items():
                if best["libtorch:gemm"][n] == v: ts_threads[(n, "gemm")] = t
        if not args.no_pytorch:
            if models:
                r = run_json([py, os.path.join(ROOT, "bench", "compare_pytorch.py"), "--torch-only", "--threads",
                              str(args.threads), "--workloads", ",".join(models)] + (["--int8"] if args.int8 else []))
                keep_best(best, r, "pytorch")
                blas = r["blas"]
                if args.int8:
                    keep_torch_int8(best, r)
            if "gemm" in names:
                r = run_json([py, os.path.join(ROOT, "bench", "gemm_pytorch.py"), "--threads", str(args.threads), "--json"])
                keep_best(best, r, "pytorch")
                blas = r["blas"]
    report(args, models, "gemm" in names, best, ts_threads, blas, started)


def report(args, models, gemm, best, ts_threads, blas, started):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    fam = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("cpu family")), "?")
    mod = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model\t")), "?")
    rivals = ["libtorch"] + ([] if args.no_pytorch else ["pytorch"])
    if args.json:
        note, kernel = best.get("pytorch-int8-note"), best.get("nabla-int8-kernel")
        best = {k: v for k, v in best.items() if not isinstance(v, str)}  # the notes are strings, not figures
        out = {"date": started, "cpu": f"{cpu} (family {fam} model {mod})", "threads": args.threads,
               "rounds": args.rounds, "pytorch_blas": blas,
               "libtorch_threads": {f"{k[0]}:{k[1]}": v for k, v in ts_threads.items()},
               "best": {k: {str(n): v for n, v in d.items()} for k, d in best.items()},
               "pytorch_int8_note": note, "nabla_int8_kernel": kernel}
        print(json.dumps(out))
        return
    print(f"{started}; {cpu} (family {fam}, model {mod}); Nabla and PyTorch {args.threads} threads, libtorch best of 1 "
          f"and {args.threads} threads; best of {args.rounds} alternating rounds")
    if blas:
        print(blas)
    head = f"{'workload':<14} {'':<6} {'nabla':>9}" + "".join(f" {r:>9} {'ratio':>6}" for r in rivals)
    if args.int8:
        head += f" {'int8':>9} {'/fp32':>6}"
    print(head)
    for n in models:
        for col, label in ((0, "train"), (1, "infer")):
            v = best["nabla"][n][col]
            line = f"{n:<14} {label:<6} {v:>9.1f}"
            for r in rivals:
                rv = best[r][n][col]
                line += f" {rv:>9.1f} {v / rv:>6.2f}"
            if args.int8 and col == 1 and n in best.get("nabla-int8", {}):
                q = best["nabla-int8"][n][1]
                line += f" {q:>9.1f} {q / v:>6.2f}"
                for engine, tq in sorted(best.get("pytorch-int8", {}).get(n, {}).items()):
                    line += f"  torch int8 {engine} {tq:.1f} (Nabla int8 / it {q / tq:.2f})"
            print(line)
    if gemm:
        for n in (1024, 2048):
            v = best["nabla:gemm"][n]
            line = f"{'sgemm n=' + str(n):<14} {'GFLOP/s':<6} {v:>9.1f}"
            for r in rivals:
                rv = best[r + ":gemm"][n]
                line += f" {rv:>9.1f} {v / rv:>6.2f}"
            print(line)
    if "nabla-int8-kernel" in best:
        print("Nabla int8 kernel: " + best["nabla-int8-kernel"] + " (vnni: AVX-VNNI; widening: its exact AVX2 emulation)")
    if args.int8 and not args.no_pytorch:
        if "pytorch-int8-note" in best:
            print("PyTorch int8: " + best["pytorch-int8-note"])
        for k, v in best.get("pytorch-int8-errors", {}).items():
            print(f"PyTorch int8 {k}: {v}")
    print("libtorch thread count kept: " + ", ".join(f"{k[0]} {k[1]} {v}" for k, v in sorted(ts_threads.items(), key=str)))


if __name__ == "__main__":
    sys.exit(main())
