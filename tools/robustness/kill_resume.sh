#!/usr/bin/env bash
# Kills a training with SIGKILL at random moments, many times, resuming after each kill, and checks the
# final weights equal an uninterrupted run's byte for byte.  Usage: tools/robustness/kill_resume.sh [KILLS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
kills_wanted="${1:-20}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"$root/nabla" --help >/dev/null
cli=(dotnet "$root/src/Nabla.Cli/bin/Release/net10.0/Nabla.Cli.dll")
args=(train --model lenet5 --subset 3000 --epochs 30 --batch-size 32 --optimizer momentum --lr 0.02 --seed 11 --threads 1)

"${cli[@]}" "${args[@]}" --out "$work/full" >/dev/null
out="$work/killed"; ckpt="$out/checkpoint.safetensors"
kills=0; starts=0
while :; do
  starts=$((starts + 1))
  if [ -f "$ckpt" ]; then "${cli[@]}" "${args[@]}" --out "$out" --resume "$ckpt" >/dev/null 2>"$work/err" & else "${cli[@]}" "${args[@]}" --out "$out" >/dev/null 2>"$work/err" & fi
  pid=$!
  if [ "$kills" -lt "$kills_wanted" ]; then
    sleep "$(awk -v r="$RANDOM" 'BEGIN{printf "%.2f", 0.4 + (r % 120) / 100}')"
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  fi
  set +e; wait "$pid" 2>/dev/null; status=$?; set -e
  if [ "$status" -eq 0 ]; then break; fi
  if [ "$status" -ne 137 ]; then echo "run failed with exit $status:"; cat "$work/err"; exit 1; fi
done
if cmp -s "$work/full/model.safetensors" "$out/model.safetensors"; then
  echo "survived $kills SIGKILLs over $starts starts: final weights identical to the uninterrupted run"
else
  echo "MISMATCH after $kills kills: final weights differ"; exit 1
fi
