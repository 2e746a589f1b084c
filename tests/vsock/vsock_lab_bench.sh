#!/bin/bash
# Figures, not a test (issue 7): host<->guest vsock stream throughput and
# connection setup rates, ours (vmmd, hybrid vsock over a unix socket) beside
# QEMU's vhost-vsock-pci (kernel AF_VSOCK), the same Debian kernel,
# initramfs, 2 vCPUs and 256 MiB, interleaved round by round in one KVM lab
# boot, plus a host unix socket pair. Takes the lab lock itself.
#   tests/vsock/vsock_lab_bench.sh [ROUNDS=3] [MIB=32] [CONNS=200]
# Builds //api:vmmd //vmm/worker:vmm-worker //tools/vmctl:vmctl first.
set -eu
ROUNDS="${1:-3}"; MIB="${2:-32}"; CONNS="${3:-200}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
bazel build //api:vmmd //vmm/worker:vmm-worker //tools/vmctl:vmctl 2>&1 | tail -1
KERNEL="$(ls /boot/vmlinuz-* | sort -V | tail -1)"
KVER="${KERNEL##*/vmlinuz-}"
WORK="$(mktemp -d /var/tmp/vsock_lab_bench.XXXXXX)"
BIN="$WORK/bin"
mkdir -p "$BIN"
for f in api/vmmd vmm/worker/vmm-worker tools/vmctl/vmctl; do cp "$(readlink -f "bazel-bin/$f")" "$BIN/"; done
# vsock_lab_bench.py imports vsock_host.py (the hybrid CONNECT handshake)
# from its own directory.
cp tests/linux/daemon_helpers.sh tests/vsock/vsock_host.py tests/vsock/vsock_lab_bench.py \
  tests/vsock/vsock_lab_bench_lab.sh "$BIN/"
gcc -static -O2 -pthread -o "$BIN/vsock_echo" tests/vsock/guest/vsock_echo.c
tools/guest-initramfs/build.sh "$BIN/init.cpio" --then hang --script tests/vsock/vsock_bench_guest.sh \
  --modules virtio_pci,vmw_vsock_virtio_transport --kernel-version "$KVER" \
  --binaries "$BIN/vsock_echo" >"$WORK/mkinitramfs.log" 2>&1 || { cat "$WORK/mkinitramfs.log"; exit 1; }
echo "host load before the lab: $(cut -d' ' -f1-3 /proc/loadavg); logs in $WORK"
flock /var/tmp/kvmlab.host.lock tools/kvmlab/kvmlab run --cpus 2 --mem 2048 --timeout 900 \
  --share "$WORK" -- "$BIN/vsock_lab_bench_lab.sh" "$BIN" "$KERNEL" "$WORK" "$ROUNDS" "$MIB" "$CONNS"
