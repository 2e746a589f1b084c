#!/bin/bash
# Memory-model litmus tests as Linux threads on a riscv64 guest (our virt
# machine on TCG, 2 vCPUs, the BuildMachine the worker runs): the fixture
# init's litmus mode (tools/riscv-fixture/init/litmus.c) runs MP, SB, LB and
# 2+2W, plain and with fences / AMO .aq.rl / LR-SC .aq.rl, as two threads
# pinned to vCPUs 0 and 1 with a barrier per iteration. Checks:
#   - the threads ran on the CPUs they were pinned to;
#   - all 17 tests ran, no outcome outside the possible ones, and no
#     relaxed outcome of a test whose orderings RVWMO says forbid it;
#   - the threads really overlapped: SB+fence.rw.rw saw 11 (both stores
#     before both loads), impossible with one thread at a time;
#   - before the litmus tests, the same boot runs the init's compute mode
#     (sha256 + sort of 2 MiB, 2 threads on the 2 vCPUs, random seed): its
#     digest equals init_ref.py's (hashlib), i.e. the JIT computed right;
#   - the guest powered off.
# Prints how often each allowed relaxed outcome appeared. Size: LITMUS_ITERS
# per test (default 100000) within LITMUS_BUDGET_MS (default 75000) of guest
# time; stress: --test_env=LITMUS_ITERS=5000000 --test_env=LITMUS_BUDGET_MS=0.
# Skips (passes) without the fixture or OpenSBI, and under ASan.
set -u
. "$(dirname "$0")/fixture_lib.sh"
R="${TEST_SRCDIR:-}/vmm"
[ -d "$R/tests" ] || R="$(cd "$(dirname "$0")/../.." && pwd)/bazel-bin"
BOOT="$R/tests/riscv64_machine/boot_riscv"
rv_fixture_or_skip "$BOOT"
ITERS="${LITMUS_ITERS:-100000}"
BUDGET="${LITMUS_BUDGET_MS:-75000}"
WORK="${TEST_TMPDIR:-$(mktemp -d)}"
REF="$(dirname "$0")/../../tools/riscv-fixture/init_ref.py"
SEED=$(( (RANDOM << 15) ^ RANDOM ))
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
val() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" | head -1; }

echo "host load $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$SECONDS
"$BOOT" --kernel "$FIX/Image" --initrd "$FIX/init.cpio" --vcpus 2 --mem-mib 256 \
  --cmdline "console=ttyS0 earlycon=sbi vmmtest=compute,litmus vmmthreads=2 vmmmib=2 vmmseed=$SEED vmmiters=$ITERS vmmbudget_ms=$BUDGET" \
  --timeout $(( BUDGET > 0 ? BUDGET / 1000 + 400 : 7200 )) > "$WORK/console" 2> "$WORK/stderr"
tr -d '\r' < "$WORK/console" > "$WORK/c"
grep "^VMM-LITMUS" "$WORK/c"
grep -q "^VMM-RISCV-INIT-MARKER nproc=2" "$WORK/c" && pass "booted with nproc=2" \
  || fail "no marker with nproc=2; console tail: $(tail -c 600 "$WORK/c")"
want=$(python3 "$REF" compute-digest "$SEED" 2 2)
line=$(grep "^VMM-COMPUTE " "$WORK/c")
[ -n "$want" ] && grep -q "digest=$want sorted_ok=1" <<<"$line" && pass "compute digest = reference: $line" \
  || fail "compute: '$line', reference digest $want (seed $SEED)"
grep -q "^VMM-LITMUS-THREADS cpu0=0 cpu1=1" "$WORK/c" && pass "threads pinned to vCPUs 0 and 1" \
  || fail "threads: $(grep VMM-LITMUS-THREADS "$WORK/c")"
n=$(grep -c "^VMM-LITMUS test=" "$WORK/c")
[ "$n" = 17 ] && pass "17 tests reported" || fail "$n tests reported, want 17"
while read -r line; do
  name=$(val test <<<"$line"); it=$(val iters <<<"$line")
  [ "$(val impossible <<<"$line")" = 0 ] || fail "$name: impossible outcomes: $line"
  [ "$(val forbidden <<<"$line")" = 0 ] || fail "$name: FORBIDDEN outcome seen: $line"
  [ "${it:-0}" -gt 0 ] || fail "$name: no iterations"
  [ "$(val ordered <<<"$line")" = 0 ] && echo "relaxed outcome of $name: $(val relaxed <<<"$line") of $it"
done < <(grep "^VMM-LITMUS test=" "$WORK/c")
overlap=$(grep "^VMM-LITMUS test=SB+fence.rw.rw " "$WORK/c" | val 11)
[ "${overlap:-0}" -gt 0 ] && pass "threads overlapped (SB+fence.rw.rw 11 seen $overlap times)" \
  || fail "SB+fence.rw.rw never saw 11: the threads did not run at the same time"
done_line=$(grep "^VMM-LITMUS-DONE" "$WORK/c")
if [ -n "$done_line" ] && [ "$(val forbidden <<<"$done_line")" = 0 ]; then
  pass "no forbidden outcome in $(val iters <<<"$done_line") iterations ($(val ms <<<"$done_line") ms guest time)"
else
  fail "litmus: '${done_line:-no VMM-LITMUS-DONE}'"
fi
grep -q "exit=poweroff" "$WORK/stderr" && pass "guest powered off after $((SECONDS - t0)) s" \
  || fail "exit: $(tail -2 "$WORK/stderr")"
[ $failures -eq 0 ] && echo PASS || echo "$failures failure(s)"
exit $((failures > 0))
