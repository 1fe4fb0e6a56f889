#!/usr/bin/env bash
# Trains into a 256 KiB tmpfs (needs root for mount): the run must stop with exit 2 and one line naming the
# file that could not be written, and every file left in --out must be complete (no partial writes).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
mnt="$(mktemp -d)"
mount -t tmpfs -o size=256k tmpfs "$mnt"
trap 'umount "$mnt"; rmdir "$mnt"' EXIT
"$root/nabla" --help >/dev/null
set +e
"$root/nabla" train --model lenet5 --epochs 1 --subset 640 --out "$mnt/run" >/dev/null 2>"$mnt/../nabla-full-disk.err"
status=$?
set -e
err="$(cat "$mnt/../nabla-full-disk.err")"; rm -f "$mnt/../nabla-full-disk.err"
echo "exit $status: $err"
[ "$status" -eq 2 ] || { echo "expected exit 2"; exit 1; }
[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || { echo "expected one line"; exit 1; }
ls "$mnt/run" | grep -q '\.tmp-' && { echo "temporary file left behind"; exit 1; }
for f in "$mnt"/run/*.safetensors; do
  [ -e "$f" ] || continue
  /usr/bin/python3 -c "import sys; sys.path.insert(0, '$root/tools'); import safetensors_io as s; s.load(sys.argv[1])" "$f" \
    || { echo "corrupt: $f"; exit 1; }
done
echo "ok: clear error, nothing half-written"
