#!/bin/bash
# Runs the riscv64 compute benchmarks (tests/riscv64/bench) on our TCG
# (run_elf: x86-64 backend with and without block chaining, optionally the
# interpreter) and on QEMU user mode (qemu-riscv64, package qemu-user), and
# prints CPU time, guest MIPS and ratios side by side. Guest instruction
# counts come from our run (the bare-metal and Linux builds run the same
# kernel; QEMU MIPS = our count / QEMU's time). Outputs must match.
#
#   tools/tcg_bench/tcg_bench.sh [--interp] [--runs=N]
#
# Not a timed test: the figures depend on the host and its load.
set -euo pipefail
cd "$(dirname "$0")/../.."

INTERP=0
RUNS=1
for arg in "$@"; do
  case "$arg" in
    --interp) INTERP=1 ;;
    --runs=*) RUNS="${arg#--runs=}" ;;
    *) echo "usage: $0 [--interp] [--runs=N]" >&2; exit 2 ;;
  esac
done

command -v qemu-riscv64 >/dev/null || { echo "qemu-riscv64 missing: apt-get install qemu-user" >&2; exit 2; }
bazel build -c opt //tcg/riscv64/testing:run_elf //tests/riscv64/bench:benches >/dev/null 2>&1 ||
  bazel build -c opt //tcg/riscv64/testing:run_elf //tests/riscv64/bench:benches
BIN=bazel-bin
RUN_ELF=$BIN/tcg/riscv64/testing/run_elf

# best-of-N CPU seconds (user + sys) of a command; its stdout goes to $OUT.
# CPU time, not wall time: the single-hart runs are single-threaded, and on
# a shared host wall time mostly measures the other tenants.
best() {
  local best=""
  for _ in $(seq "$RUNS"); do
    local s
    /usr/bin/time -f "%U %S" -o "$TIMES" "$@" >"$OUT" 2>"$ERR"
    s=$(awk '{print $1 + $2}' "$TIMES")
    if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then best=$s; fi
  done
  echo "$best"
}

OUT=$(mktemp); ERR=$(mktemp); TIMES=$(mktemp); trap 'rm -f "$OUT" "$ERR" "$TIMES"' EXIT
printf "%-14s %12s | %10s %9s | %9s %8s | %10s %9s | %9s %10s\n" program guest_insns \
  ours_cpu_s ours_MIPS nochain_s MIPS qemu_cpu_s qemu_MIPS ours/qemu chain_gain
for b in coremark_like sha256 qsort nbody; do
  elf=$BIN/tests/riscv64/bench/$b.elf
  ours=$(best "$RUN_ELF" "$elf"); our_out=$(cat "$OUT")
  insns=$(grep -o 'insns=[0-9]*' "$ERR" | cut -d= -f2)
  nochain=$(best "$RUN_ELF" --no-chain "$elf")
  qemu=$(best qemu-riscv64 "$BIN/tests/riscv64/bench/$b.linux"); qemu_out=$(cat "$OUT")
  if [ "$our_out" != "$qemu_out" ]; then
    echo "$b: output differs: ours '$our_out' qemu '$qemu_out'" >&2
    exit 1
  fi
  mips() { echo "$insns / $1 / 1000000" | bc -l; }
  printf "%-14s %12d | %10.3f %9.1f | %9.3f %8.1f | %10.3f %9.1f | %9.2f %10.2f\n" "$b" "$insns" \
    "$ours" "$(mips "$ours")" "$nochain" "$(mips "$nochain")" "$qemu" "$(mips "$qemu")" \
    "$(echo "$qemu / $ours" | bc -l)" "$(echo "$nochain / $ours" | bc -l)"
  if [ "$INTERP" = 1 ]; then
    interp=$(best "$RUN_ELF" --backend=interp "$elf")
    printf "%-14s %12s | interpreter %.3f s, %.1f MIPS\n" "" "" "$interp" "$(mips "$interp")"
  fi
done
echo "ours/qemu > 1 means we are faster (speed ratio = qemu time / our time); load: $(cut -d' ' -f1-3 /proc/loadavg)"
