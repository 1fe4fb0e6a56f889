"""Give PyTorch its best OpenBLAS kernels before torch is imported (benchmarks only, never tests).

Debian's PyTorch 1.13 uses OpenBLAS 0.3.21, which does not know CPUs newer than itself: on a recent Xeon it
falls back to the SSE3 "Prescott" kernels (sgemm 57 GFLOP/s instead of 255), on AMD Zen 5 to "Haswell" (AVX2).
When the CPU has AVX-512 and OpenBLAS picked a core without AVX-512 kernels, `ensure()` times a short sgemm
under the default core and under OPENBLAS_CORETYPE=SKYLAKEX (each in a fresh process, since OpenBLAS reads the
variable when it loads), keeps the faster one and re-executes the script with it. An OPENBLAS_CORETYPE already
in the environment takes the place of the default in that contest. Where the environment sets OPENBLAS_L2_SIZE
(some machines set it together with OPENBLAS_CORETYPE for older OpenBLAS builds), the chosen core is timed with it
and without it, and the faster is kept. `describe()` reports the core the loaded library really uses.
"""
import ctypes
import os
import subprocess
import sys

AVX512_CORES = {"SKYLAKEX", "COOPERLAKE", "SAPPHIRERAPIDS"}
_DONE = "NABLA_BENCH_OPENBLAS_CHOSEN"

_PROBE = r"""
import ctypes, sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
maps = open('/proc/self/maps').read().split()
lib = next((p for p in maps if 'libopenblas' in p), None)
name = '?'
if lib:
    f = ctypes.CDLL(lib).openblas_get_corename
    f.restype = ctypes.c_char_p
    name = f().decode()
a = torch.rand(1024, 1024); b = torch.rand(1024, 1024); c = torch.empty(1024, 1024)
for _ in range(3): torch.matmul(a, b, out=c)
best = 1e9
t_end = time.perf_counter() + 0.6
while time.perf_counter() < t_end:
    t0 = time.perf_counter(); torch.matmul(a, b, out=c); best = min(best, time.perf_counter() - t0)
print(name, 2 * 1024 ** 3 / best / 1e9)
"""


def _cpu_has_avx512():
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " avx512f" in line for line in f)
    except OSError:
        return False


def _probe(core, threads, unset_l2=False):
    env = dict(os.environ)
    if core:
        env["OPENBLAS_CORETYPE"] = core
    if unset_l2:
        env.pop("OPENBLAS_L2_SIZE", None)
    env[_DONE] = "probe"
    out = subprocess.run([sys.executable, "-c", _PROBE, str(threads)], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return out[0], float(out[1])


def threads_arg(default):
    """The value of --threads in sys.argv (read before argparse runs, since torch must not be imported yet)."""
    argv = sys.argv[1:]
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv) and argv[i + 1].isdigit():
            return int(argv[i + 1])
        if a.startswith("--threads=") and a[10:].isdigit():
            return int(a[10:])
    return default


def ensure(threads):
    """Call before `import torch`: re-executes the script once with the best OPENBLAS_CORETYPE (see module doc)."""
    if os.environ.get(_DONE):
        return
    choice, note = "", ""
    if _cpu_has_avx512():
        default_core, default_rate = _probe("", threads)
        if default_core.upper() not in AVX512_CORES:
            _, skx_rate = _probe("SKYLAKEX", threads)
            origin = "OPENBLAS_CORETYPE" if os.environ.get("OPENBLAS_CORETYPE") else "default"
            note = (f"{origin} {default_core} {default_rate:.0f} GFLOP/s, SKYLAKEX {skx_rate:.0f} GFLOP/s "
                    f"(sgemm n=1024, {threads} threads)")
            if skx_rate > default_rate:
                choice = "SKYLAKEX"
    unset_l2 = False
    if os.environ.get("OPENBLAS_L2_SIZE"):
        # Some machines set OPENBLAS_L2_SIZE (with OPENBLAS_CORETYPE) for old OpenBLAS builds; it also changes the
        # blocking. Time the chosen core with and without it and keep the faster: the rival gets its best.
        core = choice or os.environ.get("OPENBLAS_CORETYPE", "")
        _, with_rate = _probe(core, threads)
        _, without_rate = _probe(core, threads, unset_l2=True)
        note += ("; " if note else "") + (f"OPENBLAS_L2_SIZE={os.environ['OPENBLAS_L2_SIZE']} {with_rate:.0f} GFLOP/s, "
                                          f"unset {without_rate:.0f} GFLOP/s")
        unset_l2 = without_rate > with_rate
    env = dict(os.environ)
    if unset_l2:
        env.pop("OPENBLAS_L2_SIZE")
    env[_DONE] = note or "default"
    if choice:
        env["OPENBLAS_CORETYPE"] = choice
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def describe():
    """The core the loaded OpenBLAS uses, and why (call after `import torch`)."""
    lib = next((p for p in open("/proc/self/maps").read().split() if "libopenblas" in p), None)
    if lib is None:
        return "PyTorch BLAS: not OpenBLAS"
    f = ctypes.CDLL(lib).openblas_get_corename
    f.restype = ctypes.c_char_p
    core = f().decode()
    forced = os.environ.get("OPENBLAS_CORETYPE")
    why = os.environ.get(_DONE, "")
    text = f"PyTorch BLAS: OpenBLAS core {core}"
    if forced:
        text += f" (OPENBLAS_CORETYPE={forced})"
    text += f", OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', 'unset')}"
    if why not in ("", "default", "probe"):
        text += f"; probe: {why}"
    return text
