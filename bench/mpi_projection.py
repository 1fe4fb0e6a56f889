#!/usr/bin/env python3
"""Projects data-parallel throughput of `mpirun -np N nabla train` on a cluster (docs/scaling.md).

Cost model per optimizer step, no overlap of communication with backward (Nabla does not overlap):
  T(N) = t_step(b) + t_allreduce(N)
  t_allreduce(N) = 2 (N-1)/N * S / BW + 2 (N-1) * alpha        (ring allreduce: reduce-scatter + allgather)
where b is the per-rank batch, S the gradient bytes, BW a rank's link bandwidth, alpha the per-message latency.
Throughput = N * b / T(N); efficiency = throughput / (N * single-rank throughput).

usage: bench/mpi_projection.py SECONDS_PER_IMAGE GRADIENT_BYTES [per_rank_batch=64]
"""
import sys

sec_per_img = float(sys.argv[1])
grad_bytes = float(sys.argv[2])
b = int(sys.argv[3]) if len(sys.argv) > 3 else 64
networks = [  # name, effective bandwidth bytes/s (80% of line rate), latency s
    ("10 GbE (TCP)", 1.0e9, 30e-6),
    ("100 Gb/s InfiniBand", 10e9, 2e-6),
]
speedups = [1, 16]  # rank compute = measured single core, and a 16x faster rank (e.g. a 16-core node)
t_single = b * sec_per_img
print(f"per-rank batch {b}, gradient {grad_bytes / 1e6:.2f} MB, compute {sec_per_img * 1e3:.3f} ms/img per core")
for speed in speedups:
    t_c = t_single / speed
    print(f"\nrank = {speed} core(s): step compute {t_c * 1e3:.1f} ms, single rank {b / t_c:.0f} img/s")
    print("| N | " + " | ".join(f"{n} img/s (eff.)" for n, _, _ in networks) + " | allreduce ms (" + ", ".join(n for n, _, _ in networks) + ") |")
    print("|---|" + "---|" * (len(networks) + 1))
    for n in [4, 8, 16, 32, 64]:
        cells, comm = [], []
        for _, bw, alpha in networks:
            t_ar = 2 * (n - 1) / n * grad_bytes / bw + 2 * (n - 1) * alpha
            thr = n * b / (t_c + t_ar)
            cells.append(f"{thr:,.0f} ({thr / (n * b / t_c):.0%})")
            comm.append(f"{t_ar * 1e3:.2f}")
        print(f"| {n} | " + " | ".join(cells) + " | " + " / ".join(comm) + " |")
