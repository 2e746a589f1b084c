#!/bin/bash
# Multi-vCPU scaling of independent work: tests/riscv64/bench/scale.c run on
# 1, 2 and 4 harts of our bare-metal machine (run_elf --harts=N: one host
# thread per hart, shared code cache) beside N qemu-riscv64 processes doing
# the same work (QEMU user mode runs one process per guest program; its
# MTTCG threads are the same engine). Prints wall time, throughput (guest
# instructions of useful work per second: N x the 1-hart count, so hart 0's
# wait for the others is not counted) and scaling efficiency
# (throughput_N / (N x throughput_1)) for both, ours/QEMU interleaved per N
# so host load hits both alike. With N > host CPUs the harts time-share:
# efficiency then measures overhead, not parallel speedup.
#
#   tools/tcg_bench/scale_bench.sh [--runs=N] [--harts="1 2 4"]
#
# Wall time, not CPU time: scaling is about elapsed time. Figures, not a test.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=1
HARTS="1 2 4"
for arg in "$@"; do
  case "$arg" in
    --runs=*) RUNS="${arg#--runs=}" ;;
    --harts=*) HARTS="${arg#--harts=}" ;;
    *) echo "usage: $0 [--runs=N] [--harts=\"1 2 4\"]" >&2; exit 2 ;;
  esac
done

command -v qemu-riscv64 >/dev/null || { echo "qemu-riscv64 missing: apt-get install qemu-user" >&2; exit 2; }
bazel build -c opt //tcg/riscv64/testing:run_elf //tests/riscv64/bench:scale >/dev/null 2>&1 ||
  bazel build -c opt //tcg/riscv64/testing:run_elf //tests/riscv64/bench:scale
BIN=bazel-bin
RUN_ELF=$BIN/tcg/riscv64/testing/run_elf
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

now() { date +%s.%N; }

# Reference output and the 1-hart instruction count.
"$RUN_ELF" "$BIN/tests/riscv64/bench/scale_1.elf" >"$TMP/ref" 2>"$TMP/err"
INSNS=$(grep -o 'insns=[0-9]*' "$TMP/err" | cut -d= -f2)

ours() {  # ours N -> wall seconds
  local t0 t1
  t0=$(now)
  "$RUN_ELF" --harts="$1" "$BIN/tests/riscv64/bench/scale_$1.elf" >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; exit 1; }
  t1=$(now)
  cmp -s "$TMP/out" "$TMP/ref" || { echo "ours N=$1: output differs" >&2; exit 1; }
  echo "$t1 - $t0" | bc -l
}

qemu() {  # qemu N -> wall seconds of N processes started together
  local t0 t1 k pids=()
  t0=$(now)
  for k in $(seq "$1"); do
    qemu-riscv64 "$BIN/tests/riscv64/bench/scale.linux" >"$TMP/q$k" & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  t1=$(now)
  for k in $(seq "$1"); do
    cmp -s "$TMP/q$k" "$TMP/ref" || { echo "qemu process $k: output differs" >&2; exit 1; }
  done
  echo "$t1 - $t0" | bc -l
}

min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }

echo "work per hart: $INSNS guest instructions; host CPUs: $(nproc)"
printf "%5s | %8s %9s %6s | %8s %9s %6s | %9s\n" harts ours_s ours_MIPS eff qemu_s qemu_MIPS eff ours/qemu
ours1=""; qemu1=""
for n in $HARTS; do
  o=""; q=""
  for _ in $(seq "$RUNS"); do
    o=$(min "$o" "$(ours "$n")")
    q=$(min "$q" "$(qemu "$n")")
  done
  omips=$(echo "$n * $INSNS / $o / 1000000" | bc -l)
  qmips=$(echo "$n * $INSNS / $q / 1000000" | bc -l)
  [ -n "$ours1" ] || { ours1=$omips; qemu1=$qmips; }
  printf "%5d | %8.3f %9.1f %6.2f | %8.3f %9.1f %6.2f | %9.2f\n" "$n" "$o" "$omips" \
    "$(echo "$omips / ($n * $ours1)" | bc -l)" "$q" "$qmips" "$(echo "$qmips / ($n * $qemu1)" | bc -l)" \
    "$(echo "$q / $o" | bc -l)"
done
echo "eff = throughput_N / (N x throughput at the first N); ours/qemu > 1 = we are faster; load: $(cut -d' ' -f1-3 /proc/loadavg)"
