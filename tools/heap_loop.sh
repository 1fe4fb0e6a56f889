#!/usr/bin/env bash
# Runs the test suite (or a filter) N times and keeps the evidence of every failing run.
#
#   tools/heap_loop.sh [-n RUNS] [-f FILTER] [-v] [-o OUTDIR]
#     -n RUNS    how many runs (default 10)
#     -f FILTER  dotnet test --filter expression, e.g. 'FullyQualifiedName~Nabla.Tests.Analysis'
#     -v         verify the heap at every GC and GC often: DOTNET_HeapVerify=1 DOTNET_GCgen0size=0x200000
#     -o OUTDIR  where results go (default /tmp/heap_loop.<date>); run K of a failing run stays in OUTDIR/run-K
#                (TRX, blame Sequence_*.xml, crash dump, crash report .json, console log); passing runs are deleted.
#
# Needs a Release build first (dotnet build -c Release); runs with --no-build --blame-crash.
# Prints one line per run and a pass/fail tally; exit status 0 when every run passed, 1 otherwise.
set -u
runs=10 filter="" verify=0 out="/tmp/heap_loop.$(date -u +%Y%m%dT%H%M%S)"
while getopts "n:f:vo:h" opt; do
  case $opt in
    n) runs=$OPTARG ;;
    f) filter=$OPTARG ;;
    v) verify=1 ;;
    o) out=$OPTARG ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
  esac
done
case $runs in ''|*[!0-9]*) echo "heap_loop.sh: -n must be a positive integer, got '$runs'" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
pass=0 fail=0
env_desc="(no extra GC settings)"
[ "$verify" = 1 ] && env_desc="DOTNET_HeapVerify=1 DOTNET_GCgen0size=0x200000"
echo "heap_loop: $runs runs, filter='${filter:-<all>}', $env_desc, results in $out"
for ((k = 1; k <= runs; k++)); do
  dir="$out/run-$k"
  mkdir -p "$dir"
  args=(test "$root/Nabla.slnx" -c Release --no-build --blame-crash --blame-crash-dump-type mini
        --results-directory "$dir" --logger "trx;LogFileName=run.trx")
  [ -n "$filter" ] && args+=(--filter "$filter")
  start=$(date +%s)
  if [ "$verify" = 1 ]; then
    DOTNET_HeapVerify=1 DOTNET_GCgen0size=0x200000 DOTNET_DbgEnableMiniDump=1 DOTNET_EnableCrashReport=1 \
      DOTNET_DbgMiniDumpName="$dir/coredump.%p" dotnet "${args[@]}" > "$dir/console.log" 2>&1
  else
    DOTNET_DbgEnableMiniDump=1 DOTNET_EnableCrashReport=1 DOTNET_DbgMiniDumpName="$dir/coredump.%p" \
      dotnet "${args[@]}" > "$dir/console.log" 2>&1
  fi
  rc=$?
  secs=$(( $(date +%s) - start ))
  summary=$(grep -E '^(Passed!|Failed!)|Test host process crashed|Total tests' "$dir/console.log" | tr -s ' ' | paste -sd ' ' -)
  if [ $rc -eq 0 ]; then
    pass=$((pass + 1)); echo "run $k: PASS (${secs}s) $summary"; rm -rf "$dir"
  else
    fail=$((fail + 1)); echo "run $k: FAIL rc=$rc (${secs}s) $summary -> $dir"
    grep -hE 'aborted|crashed|Failed [A-Za-z]' "$dir/console.log" | head -5 | sed 's/^/    /'
  fi
done
echo "heap_loop: $pass passed, $fail failed of $runs (filter='${filter:-<all>}', $env_desc)"
[ $fail -eq 0 ]
