#!/bin/bash
# Bazel entry for linux_guest_daemon.sh.
#   linux_guest_test.sh --bad-only   malformed kernels through vmmd/vmctl on
#                                    this host (no guest code runs)
#   linux_guest_test.sh --lab        everything, inside tools/kvmlab (or
#                                    directly on a hardware KVM host)
#   linux_guest_test.sh --lab-stop   graceful/forced StopVm of Linux guests
#                                    (ACPI power button), in the lab
#   linux_guest_test.sh --lab-power-loop [POWEROFFS REBOOTS]
#                                    power_loop.sh: many guest poweroffs and
#                                    reboots on 2 vCPUs in one lab boot
#   linux_guest_test.sh --lab-smp-stress [RUNS [SECONDS]]
#                                    smp_stress_loop.sh (by hand; QEMU=1,
#                                    KVM_TRACE=1 pass through to the lab)
# The lab test prints "skipped" and passes only when nested KVM is truly
# unavailable (`kvmlab check` does not report it working).
set -u
MODE="${1:---lab}"
R="${TEST_SRCDIR:-}/vmm"
[ -d "$R/api" ] || R="$(cd "$(dirname "$0")/../.." && pwd)/bazel-bin"
KERNEL="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)"
if [ -z "$KERNEL" ]; then
  echo "FAIL: no /boot/vmlinuz-* (tools/setup.sh installs linux-image-amd64)"
  exit 1
fi
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/linux_guest.XXXXXX")"
BIN="$WORK/bin"
mkdir -p "$BIN"
# Real files, not runfiles symlinks, so the lab (host / over 9p) sees them.
for f in api/vmmd vmm/worker/vmm-worker tools/vmctl/vmctl; do
  cp "$(readlink -f "$R/$f")" "$BIN/" || { echo "FAIL: missing $R/$f"; exit 1; }
done
cp "$(readlink -f "$R/tools/guest-initramfs/build.sh")" "$BIN/mkinitramfs"
SCRIPT="$(readlink -f "$R/tests/linux/linux_guest_daemon.sh")"
if [ "$MODE" = --bad-only ]; then
  exec "$SCRIPT" "$BIN" "$KERNEL" "$WORK" --bad-only
fi
LAB="$(readlink -f "$R/tools/kvmlab/kvmlab")"
if ! "$LAB" check 2>&1 | grep -q "nested KVM: works"; then
  echo "skipped: nested KVM is not available here (kvmlab check)"
  exit 0
fi
if [ "$MODE" = --lab-smp-stress ]; then
  # By hand (issue 3): smp_stress_loop.sh RUNS guests of SECONDS load, with
  # QEMU=1 the same under QEMU/KVM in turn, KVM_TRACE=1 the lab's KVM trace,
  # LAB_MMU_STRESS=1 / LAB_THP=never stress or calm the lab's own MM.
  runs="${2:-5}"
  exec "$LAB" run --if-needed --cpus 2 --mem 1536 --timeout $((120 + runs * 240)) --share "$WORK" \
    --env QEMU --env KVM_TRACE --env KVM_TRACE_KEEP --env THREAD_CPU --env LAB_MMU_STRESS --env LAB_THP \
    -- "$(readlink -f "$R/tests/linux/smp_stress_loop.sh")" "$BIN" "$KERNEL" "$WORK" "$runs" \
    "${3:-15}"
fi
if [ "$MODE" = --lab-power-loop ]; then
  LOOP="$(readlink -f "$R/tests/linux/power_loop.sh")"
  # Half the guests boot the uncompressed vmlinux (PVH, no decompressor:
  # faster under the lab's nested SVM), half the bzImage.
  exec "$LAB" run --if-needed --cpus 2 --mem 1536 --timeout 600 --share "$WORK" \
    --env POWER_LOOP_TRACE --env POWER_LOOP_VMLINUX="$("$LAB" vmlinux)" \
    -- "$LOOP" "$BIN" "$KERNEL" "$WORK" "${2:-3}" "${3:-2}" 2
fi
EXTRA=()
# The stop test boots one guest from the uncompressed vmlinux (PVH entry)
# the lab already unpacked, so that path runs through vmmd too.
[ "$MODE" = --lab-stop ] && EXTRA=(--stop-only "$("$LAB" vmlinux)")
exec "$LAB" run --if-needed --cpus 2 --mem 1536 --timeout 600 --share "$WORK" \
  -- "$SCRIPT" "$BIN" "$KERNEL" "$WORK" "${EXTRA[@]}"
