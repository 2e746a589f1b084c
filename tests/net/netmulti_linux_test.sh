#!/bin/bash
# Bazel entry for netmulti_linux_daemon.sh (two VMs on a bridge, 2 queue
# pairs, vsock flow control): builds the static guest program and the
# initramfs natively, then runs the script inside tools/kvmlab (or directly
# on a hardware KVM host). Prints "skipped" and passes only when nested KVM
# is truly unavailable (`kvmlab check`).
set -u
R="${TEST_SRCDIR:-}/vmm"
[ -d "$R/api" ] || R="$(cd "$(dirname "$0")/../.." && pwd)/bazel-bin"
KERNEL="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)"
[ -n "$KERNEL" ] || { echo "FAIL: no /boot/vmlinuz-* (tools/setup.sh installs linux-image-amd64)"; exit 1; }
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/netmulti_linux.XXXXXX")"
BIN="$WORK/bin"
mkdir -p "$BIN"
for f in api/vmmd vmm/worker/vmm-worker tools/vmctl/vmctl; do
  cp "$(readlink -f "$R/$f")" "$BIN/" || { echo "FAIL: missing $R/$f"; exit 1; }
done
cp "$(readlink -f "$R/tools/guest-initramfs/build.sh")" "$BIN/mkinitramfs"
gcc -static -O2 -pthread -o "$BIN/vsock_echo" "$(readlink -f "$R/tests/vsock/guest/vsock_echo.c")" \
  || { echo "FAIL: gcc -static vsock_echo.c (needs gcc and libc6-dev)"; exit 1; }
KVER="${KERNEL##*/vmlinuz-}"
"$BIN/mkinitramfs" "$BIN/init.cpio" --then hang \
  --script "$(readlink -f "$R/tests/net/netmulti_guest_script.sh")" \
  --modules virtio_pci,virtio_net,vmw_vsock_virtio_transport --kernel-version "$KVER" \
  --binaries "$BIN/vsock_echo" || { echo "FAIL: mkinitramfs"; exit 1; }
cp "$(readlink -f "$R/tests/net/netmulti_linux_daemon.sh")" "$(readlink -f "$R/tests/linux/kvm_trace_lib.sh")" \
  "$(readlink -f "$R/tests/linux/daemon_helpers.sh")" "$BIN/"
LAB="$(readlink -f "$R/tools/kvmlab/kvmlab")"
if ! "$LAB" check 2>&1 | grep -q "nested KVM: works"; then
  echo "skipped: nested KVM is not available here (kvmlab check)"
  exit 0
fi
# KVM_TRACE=1 (--test_env=KVM_TRACE=1): the lab kernel's KVM trace of a crash.
"$LAB" run --if-needed --cpus 2 --mem 2048 --timeout 600 --share "$WORK" \
  --env KVM_TRACE="${KVM_TRACE:-0}" \
  -- "$BIN/netmulti_linux_daemon.sh" "$BIN" "$KERNEL" "$WORK"
rc=$?
# A failed run's KVM traces and worker logs, for the post-mortem
# (bazel-testlogs/.../test.outputs/outputs.zip).
if [ $rc != 0 ] && [ -n "${TEST_UNDECLARED_OUTPUTS_DIR:-}" ]; then
  cp "$WORK"/*.trace "$WORK"/worker.*.log "$WORK"/*.console "$WORK"/threads.txt \
    "$TEST_UNDECLARED_OUTPUTS_DIR/" 2>/dev/null
fi
exit $rc
