#!/bin/bash
# Inside tools/kvmlab (vsock_lab_bench.sh starts it): one guest in our VMM
# (vmmd + vmctl, hybrid vsock, CID 42) and the same kernel + initramfs in
# QEMU with vhost-vsock-pci (guest-cid 43), both 2 vCPUs / 256 MiB and up at
# once; vsock_lab_bench.py then measures them round by round, interleaved.
#   vsock_lab_bench_lab.sh BIN KERNEL WORK ROUNDS MIB CONNS
set -u
BIN="$1"; KERNEL="$2"; WORK="$3"; ROUNDS="$4"; MIB="$5"; CONNS="$6"
INITRD="$BIN/init.cpio"
. "$BIN/daemon_helpers.sh"
start_vmmd
QPID=""
trap '[ -z "$QPID" ] || kill "$QPID" 2>/dev/null; stop_vmmd' EXIT
VS="$RUN/v.sock"

vmctl create vb --vcpus 2 --memory-mib 256 --kernel "$KERNEL" --initrd "$INITRD" \
  --cmdline "console=ttyS0 quiet" --vsock-cid 42 --vsock-uds "$VS" >/dev/null || { fail "create"; exit 1; }
vmctl start vb >/dev/null || { fail "start"; on_fail_dump vb; exit 1; }
attach_console vb
wait_console vb VSOCK-BENCH-READY 150 || { fail "our guest not ready: $(tail -c 800 "$WORK/vb.console")"; exit 1; }

modprobe vhost_vsock || { fail "modprobe vhost_vsock"; exit 1; }
QCON="$WORK/qemu.console"
qemu-system-x86_64 -enable-kvm -cpu host -smp 2 -m 256 -nodefaults -no-user-config \
  -nographic -serial "file:$QCON" -kernel "$KERNEL" -initrd "$INITRD" \
  -append "console=ttyS0 quiet" -device vhost-vsock-pci,guest-cid=43 &
QPID=$!
end=$((SECONDS + 150))
until grep -aq VSOCK-BENCH-READY "$QCON" 2>/dev/null; do
  [ "$SECONDS" -le "$end" ] || { fail "QEMU guest not ready: $(tail -c 800 "$QCON")"; exit 1; }
  sleep 0.5
done
echo "both guests ready; lab: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$BIN/vsock_lab_bench.py" "$ROUNDS" "$MIB" "$CONNS" "ours=uds:$VS" "qemu=vsock:43" \
  || fail "bench"
vmctl --json get vb | json_field "d['counters'].get('vsock')"
[ "$failures" = 0 ]
