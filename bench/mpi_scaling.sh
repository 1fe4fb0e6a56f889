#!/usr/bin/env bash
# Data-parallel throughput on one machine: 1 rank x T threads against T ranks x 1 thread on mnist-cnn (real MNIST),
# rounds interleaved so that a loaded machine's drift hits both sides alike; then allreduce bandwidth on loopback.
# usage: bench/mpi_scaling.sh [rounds=3] [subset=3200] [model=mnist-cnn]
# Needs mpirun (openmpi-bin) and MNIST in ~/.cache/nabla/mnist (run `./nabla train` once to fetch it).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; subset=${2:-3200}; model=${3:-mnist-cnn}; threads=${THREADS:-2}
dotnet build -c Release src/Nabla.Cli -nologo -v q >/dev/null
cli=src/Nabla.Cli/bin/Release/net10.0/Nabla.Cli.dll
mnist=${MNIST_DIR:-$HOME/.cache/nabla/mnist}
work=$(mktemp -d /tmp/nabla-mpi-bench-XXXXXX); trap 'rm -rf "$work"' EXIT
# Training set: all of MNIST (--subset takes the first N); test set cut to 200 images so evaluation stays ~2% of an epoch.
mkdir -p "$work/data"
ln -s "$mnist"/train-images-idx3-ubyte "$mnist"/train-labels-idx1-ubyte "$work/data/"
python3 - "$mnist" "$work/data" 200 <<'PY'
import struct, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for name, hdr, per in (("t10k-images-idx3-ubyte", 16, 784), ("t10k-labels-idx1-ubyte", 8, 1)):
    b = open(f"{src}/{name}", "rb").read()
    h = bytearray(b[:hdr]); h[4:8] = struct.pack(">i", n)
    open(f"{dst}/{name}", "wb").write(bytes(h) + b[hdr:hdr + n * per])
PY
common=(train --model "$model" --data "$work/data" --epochs 1 --batch-size 64 --optimizer adam --subset "$subset" --seed 1)
# No --oversubscribe while ranks <= cores: Open MPI then polls instead of yielding, the better choice for short steps.
mpi=(mpirun --allow-run-as-root --bind-to none -np)
secs() { tail -1 "$1/metrics.csv" | awk -F, '{print $NF}'; }
echo "round,config,seconds,img_per_s"
for r in $(seq 1 "$rounds"); do
  dotnet "$cli" "${common[@]}" --threads "$threads" --out "$work/a$r" >/dev/null
  s=$(secs "$work/a$r"); echo "$r,1 rank x $threads threads,$s,$(echo "$subset / $s" | bc -l | xargs printf %.1f)"
  "${mpi[@]}" "$threads" dotnet "$cli" "${common[@]}" --threads 1 --out "$work/b$r" >"$work/b$r.log"
  s=$(secs "$work/b$r"); echo "$r,$threads ranks x 1 thread,$s,$(echo "$subset / $s" | bc -l | xargs printf %.1f)"
  grep -h '^mpi:' "$work/b$r.log" | tail -1 | sed 's/^/#   /'
  dotnet "$cli" "${common[@]}" --threads 1 --out "$work/c$r" >/dev/null
  s=$(secs "$work/c$r"); echo "$r,1 rank x 1 thread,$s,$(echo "$subset / $s" | bc -l | xargs printf %.1f)"
done
echo "# allreduce bandwidth, $threads ranks on loopback (shared memory):"
"${mpi[@]}" "$threads" dotnet "$cli" train --bench-allreduce 64
