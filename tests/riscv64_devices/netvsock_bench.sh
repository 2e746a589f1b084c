#!/bin/bash
# Figures, not a test: TCP over the tap (both ways) with the riscv64 guest
# of netvsock_daemon_test.sh, ours (vmmd + TCG, virtio-mmio net) beside
# `qemu-system-riscv64 -M virt` (TCG, userspace virtio-net-device on a tap
# of the same setup, same kernel, same initramfs), alternating RUNS times;
# ours also prints the vsock stream (QEMU's vhost-vsock needs the host's
# vhost_vsock module, absent here). Load average printed beside each run.
#   bazel build //tests/riscv64_devices/... //api:vmmd //tools/vmctl //vmm/worker:vmm-worker
#   tests/riscv64_devices/netvsock_bench.sh [RUNS] [MIB] [VSOCK_MIB]
set -u
if [ -z "${RVDEV_BENCH_NETNS:-}" ]; then
  RVDEV_BENCH_NETNS=1 exec unshare --net -- "$0" "$@"
fi
RUNS="${1:-3}"; MIB="${2:-16}"; VMIB="${3:-64}"
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$(cd "$HERE/../.." && pwd)"; BIN="$SRC/bazel-bin"
FIX="$("$SRC/tools/riscv-fixture/build.sh" --cached-only)" || { echo "no fixture"; exit 1; }
FW=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
INITRD="$BIN/tests/riscv64_devices/netvsock.cpio"
ip link set lo up

qemu_run() {  # prints "g2h MBps h2g MBps"
  local w; w="$(mktemp -d /tmp/rvqb.XXXXXX)"
  ip tuntap add qtap0 mode tap && ip addr add 10.78.0.1/24 dev qtap0 && ip link set qtap0 up
  qemu-system-riscv64 -M virt -smp 1 -m 256 -nodefaults -nographic -no-reboot \
    -serial "file:$w/c.log" -bios "$FW" -kernel "$FIX/Image" -initrd "$INITRD" \
    -append "console=ttyS0 rvdev_mib=$MIB rvdev_conns=1 rvdev_bytes=16" \
    -netdev tap,id=n0,ifname=qtap0,script=no,downscript=no,vhost=off \
    -device virtio-net-device,netdev=n0,mac=52:54:00:78:00:02 >/dev/null 2>&1 &
  local q=$!
  for _ in $(seq 300); do grep -aq SERVERS-READY "$w/c.log" 2>/dev/null && break; sleep 0.5; done
  python3 - "$MIB" <<'PY'
import os, socket, sys, time, zlib
mib = int(sys.argv[1])
s = socket.create_connection(("10.78.0.2", 5001), timeout=60)
n, t0 = 0, time.time()
while True:
    d = s.recv(1 << 20)
    if not d: break
    n += len(d)
g = n / (time.time() - t0) / 1e6
data = os.urandom(mib << 20)
s = socket.create_connection(("10.78.0.2", 5002), timeout=60)
t0 = time.time(); s.sendall(data); s.shutdown(socket.SHUT_WR); s.recv(1)
print("%.2f %.2f" % (g, len(data) / (time.time() - t0) / 1e6))
PY
  python3 -c "import socket; socket.create_connection(('10.78.0.2', 5009), timeout=30).close()" 2>/dev/null
  for _ in $(seq 60); do kill -0 $q 2>/dev/null || break; sleep 0.5; done
  kill $q 2>/dev/null; wait $q 2>/dev/null
  ip link del qtap0 2>/dev/null
  rm -rf "$w"
}

for i in $(seq "$RUNS"); do
  out=$(RVDEV_MIB=$MIB RVDEV_VSEND_MIB=$VMIB RVDEV_NETNS=1 "$HERE/netvsock_daemon_test.sh" 2>&1)
  g=$(grep -a "MiB guest->host over TCP" <<<"$out" | sed 's/.*, \([0-9.]*\) MB\/s/\1/')
  h=$(grep -a "MiB host->guest over TCP" <<<"$out" | sed 's/.*, \([0-9.]*\) MB\/s/\1/')
  v=$(grep -a "vsock guest->host stream" <<<"$out" | sed 's/.*MBps=//')
  grep -q "^PASS" <<<"$out" || echo "run $i: ours failed: $(grep -E "FAIL|skipped" <<<"$out" | head -3)"
  q=$(qemu_run)
  echo "run $i ($MIB MiB TCP, $VMIB MiB vsock; load $(cut -d' ' -f1 /proc/loadavg)): TCP MB/s guest->host ours $g qemu ${q% *} | host->guest ours $h qemu ${q#* } | vsock guest->host ours $v"
done
