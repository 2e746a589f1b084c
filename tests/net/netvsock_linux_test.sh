#!/bin/bash
# Bazel entry for netvsock_linux_daemon.sh: builds the static guest program
# (host gcc -static) and runs the script inside tools/kvmlab (or directly on
# a hardware KVM host). Prints "skipped" and passes only when nested KVM is
# truly unavailable (`kvmlab check`).
set -u
# MiB moved each way over TCP: $NETVSOCK_MIB if set (so
# `bazel test --test_env=NETVSOCK_MIB=256` overrides the BUILD's args), else
# $1, else 256.
MIB="${NETVSOCK_MIB:-${1:-256}}"
R="${TEST_SRCDIR:-}/vmm"
[ -d "$R/api" ] || R="$(cd "$(dirname "$0")/../.." && pwd)/bazel-bin"
KERNEL="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)"
[ -n "$KERNEL" ] || { echo "FAIL: no /boot/vmlinuz-* (tools/setup.sh installs linux-image-amd64)"; exit 1; }
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/netvsock_linux.XXXXXX")"
BIN="$WORK/bin"
mkdir -p "$BIN"
for f in api/vmmd vmm/worker/vmm-worker tools/vmctl/vmctl; do
  cp "$(readlink -f "$R/$f")" "$BIN/" || { echo "FAIL: missing $R/$f"; exit 1; }
done
cp "$(readlink -f "$R/tools/guest-initramfs/build.sh")" "$BIN/mkinitramfs"
cp "$(readlink -f "$R/tests/net/netvsock_guest_script.sh")" "$BIN/"
cp "$(readlink -f "$R/tests/vsock/vsock_host.py")" "$BIN/"
gcc -static -O2 -pthread -o "$BIN/vsock_echo" "$(readlink -f "$R/tests/vsock/guest/vsock_echo.c")" \
  || { echo "FAIL: gcc -static vsock_echo.c (needs gcc and libc6-dev)"; exit 1; }
"$BIN/vsock_echo" pattern 1048576 > "$BIN/pattern.bin"
KVER="${KERNEL##*/vmlinuz-}"
"$BIN/mkinitramfs" "$BIN/init.cpio" --then hang --script "$BIN/netvsock_guest_script.sh" \
  --modules virtio_pci,virtio_net,vmw_vsock_virtio_transport --kernel-version "$KVER" \
  --binaries "$BIN/vsock_echo" || { echo "FAIL: mkinitramfs"; exit 1; }
cp "$(readlink -f "$R/tests/net/netvsock_linux_daemon.sh")" "$BIN/"
cp "$(readlink -f "$R/tests/linux/daemon_helpers.sh")" "$(readlink -f "$R/tests/linux/kvm_trace_lib.sh")" \
  "$BIN/"
SCRIPT="$BIN/netvsock_linux_daemon.sh"
LAB="$(readlink -f "$R/tools/kvmlab/kvmlab")"
if ! "$LAB" check 2>&1 | grep -q "nested KVM: works"; then
  echo "skipped: nested KVM is not available here (kvmlab check)"
  exit 0
fi
# KVM_TRACE=1 (--test_env=KVM_TRACE=1): the lab kernel's KVM trace of a crash.
exec "$LAB" run --if-needed ${NETVSOCK_BENCH:+--env NETVSOCK_BENCH} --env "NETVSOCK_MIB=$MIB" \
  --env KVM_TRACE="${KVM_TRACE:-0}" --cpus 2 --mem 2048 --timeout 900 --share "$WORK" \
  -- "$SCRIPT" "$BIN" "$KERNEL" "$WORK"
