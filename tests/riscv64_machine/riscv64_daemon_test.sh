#!/bin/bash
# riscv64 Linux through the real daemon and API, on this host (TCG): starts
# vmmd on a private socket and, with vmctl only,
#   - a riscv64 VM with accel kvm is refused with a message naming accel;
#   - the fixture kernel (tools/riscv-fixture) + OpenSBI boots on 2 vCPUs
#     with accel auto: GetVm reports TCG, the console shows the init marker
#     with nproc=2 (both harts online), pause/resume work, the init's
#     2-thread compute completes, and the guest's poweroff ends the VM
#     SHUTOFF / GUEST_SHUTDOWN.
# The init computes for a few seconds after the marker (vmmtest=compute) so
# that the pause, sent once the kernel prints, cannot come after the guest
# has already powered off: the boot alone takes ~1 s.
# Skips (passes) when the fixture or OpenSBI is missing.
set -u
. "$(dirname "$0")/fixture_lib.sh"
R="${TEST_SRCDIR:-}/vmm"
[ -d "$R/api" ] || R="$(cd "$(dirname "$0")/../.." && pwd)/bazel-bin"
BIN="$R"
rv_fixture_or_skip "$BIN/vmm/worker/vmm-worker"
WORK="${TEST_TMPDIR:-$(mktemp -d /tmp/rv_daemon.XXXXXX)}"
VMMD="$BIN/api/vmmd" WORKER="$BIN/vmm/worker/vmm-worker" VMCTL="$BIN/tools/vmctl/vmctl"
. "$(dirname "$0")/../linux/daemon_helpers.sh"
start_vmmd

# KVM cannot run riscv64 here: refused, naming the field.
out=$(vmctl create rvkvm --arch riscv64 --accel kvm --memory-mib 256 --kernel "$FIX/Image" 2>&1)
if [ $? -ne 0 ] && grep -q "accelerator=KVM" <<<"$out"; then pass "accel=kvm refused: $(echo "$out" | cut -c1-160)"
else fail "accel=kvm: $out"; fi

vmctl create rv --arch riscv64 --vcpus 2 --memory-mib 256 --kernel "$FIX/Image" \
  --initrd "$FIX/init.cpio" --cmdline "console=ttyS0 earlycon=sbi vmmtest=compute vmmmib=8 vmmthreads=2" \
  >/dev/null || fail "create rv"
t0=$SECONDS
vmctl start rv >/dev/null || fail "start rv"
attach_console rv
acc=$(status_of rv accelerator)
[ "$acc" = TCG ] && pass "GetVm reports accelerator TCG" || fail "accelerator: '$acc'"
# Pause as soon as the kernel prints, check the console stands still.
end=$((SECONDS + 170))
until grep -aq "Linux version" "$WORK/rv.console" 2>/dev/null || [ $SECONDS -gt $end ]; do sleep 0.05; done
if vmctl pause rv >/dev/null && wait_state rv PAUSED 30; then
  n1=$(wc -c < "$WORK/rv.console"); sleep 2; n2=$(wc -c < "$WORK/rv.console")
  [ "$n1" = "$n2" ] && pass "paused: console still" || fail "console grew while paused ($n1 -> $n2)"
  vmctl resume rv >/dev/null && wait_state rv RUNNING 30 && pass "resumed" || fail "resume"
else
  fail "pause: state $(status_of rv state)"
fi
end=$((SECONDS + 170))
until grep -aq "VMM-RISCV-INIT-MARKER" "$WORK/rv.console" 2>/dev/null || [ $SECONDS -gt $end ]; do sleep 0.5; done
if grep -aq "VMM-RISCV-INIT-MARKER nproc=2" "$WORK/rv.console"; then
  pass "init marker with nproc=2 after $((SECONDS - t0)) s"
else
  # "CPU1: failed to come online" was the 2nd hart lost at bring-up.
  fail "no marker with nproc=2; smp lines: $(grep -a 'smp:\|CPU[0-9]' "$WORK/rv.console" | tr '\n' ' ')console tail: $(tail -c 800 "$WORK/rv.console")"
fi
wait_console rv "VMM-COMPUTE threads" 120
if grep -aq "VMM-COMPUTE threads=2 mib=8 .*sorted_ok=1" "$WORK/rv.console"; then
  pass "compute on 2 harts: $(grep -ao 'VMM-COMPUTE threads.*' "$WORK/rv.console" | cut -d' ' -f2-5)"
else
  fail "compute: $(grep -a 'VMM-COMPUTE\|VMM-INIT-ERROR' "$WORK/rv.console")"
fi
if wait_state rv SHUTOFF 90 && [ "$(status_of rv reason)" = GUEST_SHUTDOWN ]; then
  pass "guest poweroff -> SHUTOFF/GUEST_SHUTDOWN"
else
  fail "poweroff: state=$(status_of rv state) reason=$(status_of rv reason) msg=$(status_of rv message)"
  grep -v unclaimed_access "$WORK/vmmd.log" | tail -5 | cut -c1-300
fi
[ $failures -eq 0 ] && echo PASS || echo "$failures failure(s)"
exit $((failures > 0))
