#!/bin/bash
# riscv64 Linux through the real daemon and API, on this host (TCG): starts
# vmmd on a private socket and, with vmctl only,
#   - a riscv64 VM with accel kvm is refused with a message naming accel;
#   - the fixture kernel (tools/riscv-fixture) + OpenSBI boots on 2 vCPUs
#     with accel auto: GetVm reports TCG, the console shows the init marker
#     with nproc=2, pause/resume work, and the guest's poweroff ends the VM
#     SHUTOFF / GUEST_SHUTDOWN.
# Skips (passes) when the fixture or OpenSBI is missing.
set -u
. "$(dirname "$0")/fixture_lib.sh"
R="${TEST_SRCDIR:-}/vmm"
[ -d "$R/api" ] || R="$(cd "$(dirname "$0")/../.." && pwd)/bazel-bin"
BIN="$R"
rv_fixture_or_skip "$BIN/vmm/worker/vmm-worker"
RUN="$(mktemp -d /tmp/rv_daemon.XXXXXX)"
WORK="${TEST_TMPDIR:-$RUN}"
SOCK="$RUN/vmmd.sock"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
vmctl() { "$BIN/tools/vmctl/vmctl" --socket "$SOCK" "$@"; }
field() { vmctl --json get "$1" 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['status'].get('$2', ''))" 2>/dev/null; }
wait_state() {  # wait_state VM STATE SECONDS
  local end=$((SECONDS + $3))
  while [ "$SECONDS" -le "$end" ]; do
    [ "$(field "$1" state)" = "$2" ] && return 0
    sleep 0.5
  done
  return 1
}
"$BIN/api/vmmd" --socket="$SOCK" --state-dir="$RUN/state" \
  --worker="$BIN/vmm/worker/vmm-worker" 2>"$WORK/vmmd.log" &
DAEMON=$!
CONSOLE=
trap 'kill $CONSOLE 2>/dev/null; kill -TERM $DAEMON 2>/dev/null; wait $DAEMON 2>/dev/null; rm -rf "$RUN"' EXIT
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "FAIL: vmmd did not listen"; cat "$WORK/vmmd.log"; exit 1; }

# KVM cannot run riscv64 here: refused, naming the field.
out=$(vmctl create rvkvm --arch riscv64 --accel kvm --memory-mib 256 --kernel "$FIX/Image" 2>&1)
if [ $? -ne 0 ] && grep -q "accelerator=KVM" <<<"$out"; then pass "accel=kvm refused: $(echo "$out" | cut -c1-160)"
else fail "accel=kvm: $out"; fi

vmctl create rv --arch riscv64 --vcpus 2 --memory-mib 256 --kernel "$FIX/Image" \
  --initrd "$FIX/init.cpio" >/dev/null || fail "create rv"
t0=$SECONDS
vmctl start rv >/dev/null || fail "start rv"
(sleep 600 | vmctl console rv --replay --timeout-ms 300000 > "$WORK/rv.console" 2>&1) &
CONSOLE=$!
acc=$(field rv accelerator)
[ "$acc" = TCG ] && pass "GetVm reports accelerator TCG" || fail "accelerator: '$acc'"
# Pause as soon as the kernel prints, check the console stands still.
end=$((SECONDS + 170))
until grep -aq "Linux version" "$WORK/rv.console" 2>/dev/null || [ $SECONDS -gt $end ]; do sleep 0.2; done
if vmctl pause rv >/dev/null && wait_state rv PAUSED 30; then
  n1=$(wc -c < "$WORK/rv.console"); sleep 2; n2=$(wc -c < "$WORK/rv.console")
  [ "$n1" = "$n2" ] && pass "paused: console still" || fail "console grew while paused ($n1 -> $n2)"
  vmctl resume rv >/dev/null && wait_state rv RUNNING 30 && pass "resumed" || fail "resume"
else
  fail "pause: state $(field rv state)"
fi
end=$((SECONDS + 170))
until grep -aq "VMM-RISCV-INIT-MARKER" "$WORK/rv.console" 2>/dev/null || [ $SECONDS -gt $end ]; do sleep 0.5; done
if grep -aq "VMM-RISCV-INIT-MARKER nproc=2" "$WORK/rv.console"; then
  pass "init marker with nproc=2 after $((SECONDS - t0)) s"
else
  fail "no marker; console tail: $(tail -c 800 "$WORK/rv.console")"
fi
if wait_state rv SHUTOFF 90 && [ "$(field rv reason)" = GUEST_SHUTDOWN ]; then
  pass "guest poweroff -> SHUTOFF/GUEST_SHUTDOWN"
else
  fail "poweroff: state=$(field rv state) reason=$(field rv reason) msg=$(field rv message)"
  grep -v unclaimed_access "$WORK/vmmd.log" | tail -5 | cut -c1-300
fi
[ $failures -eq 0 ] && echo PASS || echo "$failures failure(s)"
exit $((failures > 0))
