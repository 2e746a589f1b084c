#!/bin/bash
# virtio-blk with Debian's stock kernel through vmmd + vmctl (issue 4),
# meant to run where /dev/kvm can boot Linux (inside tools/kvmlab, or a
# hardware KVM host). One VM, 2 vCPUs, three disks on virtio-pci:
#   vda  64 MiB rw, serial "blk-serial-1"   boot 1: mkfs.ext4, files, sync,
#                                           checksums; RebootVm (boot_count
#                                           2); boot 2: same checksums
#   vdb  16 MiB ro, ext4 made by the host   rw mount / file / raw writes
#                                           refused; host file unchanged
#   vdc  64 MiB rw raw                      1 MiB + fsync, marker, SIGKILL
#                                           of the worker: the bytes are in
#                                           the host image
# plus: the guest finds the disks by itself (ACPI PCI0 + virtio_pci), uses
# MSI-X and one queue per vCPU; GetVm counters count reads, writes, flushes.
# Then VM blk2 boots once with pci=nomsi: the same disk work over INTx.
#   blk_linux_daemon.sh BIN_DIR KERNEL WORK_DIR
# BIN_DIR holds vmmd, vmm-worker, vmctl; WORK_DIR init.cpio (the guest
# initramfs with guest_script.sh) and vdb.img (16 MiB ext4 with hello.txt).
set -u
BIN="$1"; KERNEL="$2"; WORK="$3"
. "$(dirname "$(readlink -f "$0")")/../linux/daemon_helpers.sh"
pass() { echo "ok: $* [t=${SECONDS}s]"; }
CONSOLE="$WORK/blk1.console"
console_value() { grep -a "^$1" "$CONSOLE" | tail -1 | tr -d '\r' | cut -d' ' -f2; }

start_vmmd  # RUN: a local fs for sockets and images.
CONSOLE_PID=""
trap 'kill $CONSOLE_PID 2>/dev/null; stop_vmmd' EXIT

# The initramfs and the read-only ext4 image are made outside the lab
# (blk_linux_test.sh: xz and mke2fs under TCG take minutes); local copies.
cp "$WORK/init.cpio" "$WORK/vdb.img" "$RUN/" || { echo "FAIL: no init.cpio / vdb.img in $WORK"; exit 1; }
truncate -s 64M "$RUN/vda.img" "$RUN/vdc.img"
ro_before=$(sha256sum < "$RUN/vdb.img")

vmctl create blk1 --vcpus 2 --memory-mib 256 --kernel "$KERNEL" --initrd "$RUN/init.cpio" \
  --cmdline "console=ttyS0 reboot=k quiet" \
  --disk "path=$RUN/vda.img,serial=blk-serial-1" --disk "path=$RUN/vdb.img,ro" \
  --disk "path=$RUN/vdc.img" >/dev/null || fail "create blk1"
t0=$SECONDS
vmctl start blk1 >/dev/null || fail "start blk1: $(status_of blk1 message)"
# The console client reads a FIFO that this shell holds open (no EOF, no
# stray process holding our stdout), and is killed by its own pid.
mkfifo "$RUN/console.in"
exec 3<>"$RUN/console.in"
vmctl console blk1 --replay --timeout-ms 600000 < "$RUN/console.in" > "$CONSOLE" 2>&1 &
CONSOLE_PID=$!

# --- Boot 1.
# script_rc: the guest script ended (BLK-BOOT1-DONE is printed just before).
if wait_console blk1 "script_rc=" 150 && grep -aq "BLK-BOOT1-DONE" "$CONSOLE"; then
  pass "boot 1: mkfs.ext4 + files on /dev/vda in $((SECONDS - t0)) s"
else
  fail "boot 1 did not finish; console tail: $(tail -c 1500 "$CONSOLE")"
  vmctl get blk1 2>&1 | head -20
  exit 1
fi
grep -aq "serial_vda=blk-serial-1" "$CONSOLE" && pass "GET_ID serial seen by the guest" \
  || fail "serial: $(grep -a serial_vda "$CONSOLE")"
grep -aq "msix=yes" "$CONSOLE" && pass "virtio_pci uses MSI-X" || fail "no PCI-MSI virtio interrupts"
grep -aq "mmcfg=yes" "$CONSOLE" && pass "guest maps the ECAM from MCFG (PCI MMCONFIG in /proc/iomem)" \
  || fail "guest did not take the MCFG ECAM: $(grep -a mmcfg= "$CONSOLE" | head -1)"
grep -aq "mq_vda=2" "$CONSOLE" && pass "vda has one queue per vCPU (2)" \
  || fail "queues: $(grep -a mq_vda "$CONSOLE")"
sums1=$(console_value SUMS1)

# --- RebootVm: boot 2 sees the same files.
vmctl reboot blk1 >/dev/null || fail "reboot blk1"
wait_boots blk1 2 60
bc=$(status_of blk1 boot_count)
[ "${bc:-0}" = 2 ] && pass "RebootVm -> boot_count 2" || fail "boot_count=$bc"
end=$((SECONDS + 150))  # Until the second run of the guest script ends.
while [ $SECONDS -le $end ]; do
  console_count "$CONSOLE" script_rc=; [ "$CONSOLE_COUNT" -ge 2 ] && break; nap 0.5
done
if grep -aq "BLK-BOOT2-DONE" "$CONSOLE"; then
  pass "boot 2 finished"
else
  fail "boot 2 did not finish; console tail: $(tail -c 1500 "$CONSOLE")"
fi
sums2=$(console_value SUMS2)
if [ -n "$sums1" ] && [ "$sums1" = "$sums2" ]; then
  pass "checksums match across the reboot ($sums1)"
else
  fail "checksums: boot 1 '$sums1', boot 2 '$sums2'"
fi
grep -aq "ro_vdb=1 ro_vda=0" "$CONSOLE" && pass "vdb is read-only in the guest (VIRTIO_BLK_F_RO)" \
  || fail "ro flags: $(grep -a ro_vdb "$CONSOLE")"
grep -aq "ro_content=read-only content" "$CONSOLE" && pass "vdb readable" || fail "vdb content"
for bad in RO-MOUNT-RW-ACCEPTED RO-FILE-WRITE-ACCEPTED RO-RAW-WRITE-ACCEPTED; do
  grep -aq "$bad" "$CONSOLE" && fail "read-only disk: $bad"
done
grep -aq "RO-FILE-WRITE-REFUSED" "$CONSOLE" && grep -aq "RO-RAW-WRITE-REFUSED" "$CONSOLE" \
  && pass "writes to the read-only disk refused in the guest"
[ "$(sha256sum < "$RUN/vdb.img")" = "$ro_before" ] && pass "read-only image unchanged on the host" \
  || fail "read-only image changed"
grep -a "DD-FIGURES" "$CONSOLE" | tail -1

# --- Counters (summed over both boots).
c=$(vmctl --json get blk1 | json_field "' '.join(str(d.get(k, 0)) for d in d['counters']['disks'] for k in ('read_requests','write_requests','flushes','errors','read_bytes','write_bytes'))")
echo "counters (reads writes flushes errors rbytes wbytes per disk): $c"
python3 - "$c" <<'PY' && pass "GetVm counters: reads, writes, flushes on vda and vdc; no writes on vdb; no errors" || fail "counters: $c"
import sys
v = [int(x) for x in sys.argv[1].split()]
a, b, c = v[0:6], v[6:12], v[12:18]
assert a[0] > 0 and a[1] > 0 and a[2] > 0 and a[5] >= 4 << 20, a
assert a[3] == 0 and b[3] == 0 and c[3] == 0, "errors"
assert b[0] > 0 and b[1] == 0 and b[5] == 0, b
assert c[1] > 0 and c[2] > 0 and c[5] >= 1 << 20, c
PY

# --- FLUSH survives kill -9 of the worker.
want=$(console_value FLUSH-MARK)
pid=$(status_of blk1 worker_pid)
if [ -n "$want" ] && [ -n "$pid" ] && kill -9 "$pid"; then
  wait_state blk1 CRASHED 30 && pass "worker SIGKILLed -> CRASHED/$(status_of blk1 reason)" \
    || fail "after SIGKILL: state $(status_of blk1 state)"
  got=$(head -c 1048576 "$RUN/vdc.img" | sha256sum | cut -c1-64)
  [ "$got" = "$want" ] && pass "flushed bytes are in the host image after kill -9" \
    || fail "vdc after kill -9: $got, guest wrote $want"
else
  fail "no FLUSH-MARK ($want) or worker pid ($pid)"
fi
# (Lock release after the worker dies: disk_e2e_test, which is cheaper.)

# --- INTx fallback: a second, short boot with pci=nomsi (no MSI-X: the
# guest's virtio_pci takes the _PRT route, IOAPIC pin 16 level-triggered,
# and reads the ISR to lower the line). mkfs + files + re-read from disk.
CONSOLE="$WORK/blk2.console"
truncate -s 64M "$RUN/intx.img"
vmctl create blk2 --vcpus 1 --memory-mib 256 --kernel "$KERNEL" --initrd "$RUN/init.cpio" \
  --cmdline "console=ttyS0 reboot=k quiet pci=nomsi" --disk "path=$RUN/intx.img" >/dev/null \
  || fail "create blk2"
t0=$SECONDS
vmctl start blk2 >/dev/null || fail "start blk2: $(status_of blk2 message)"
kill $CONSOLE_PID 2>/dev/null
vmctl console blk2 --replay --timeout-ms 600000 < "$RUN/console.in" > "$CONSOLE" 2>&1 &
CONSOLE_PID=$!
if wait_console blk2 "script_rc=" 180 && grep -aq "BLK-BOOT1-DONE" "$CONSOLE"; then
  pass "INTx boot (pci=nomsi): mkfs.ext4 + files on /dev/vda in $((SECONDS - t0)) s"
  grep -aq "msix=no" "$CONSOLE" && grep -aq "intx=yes" "$CONSOLE" \
    && pass "virtio_pci on the IOAPIC INTx line, no PCI-MSI" \
    || fail "INTx run: $(grep -a -E '^(msix|intx)=' "$CONSOLE" | tr '\n' ' ')"
  s1=$(console_value SUMS1); s1b=$(console_value SUMS1B); irqs=$(console_value INTX-IRQS)
  [ -n "$s1" ] && [ "$s1" = "$s1b" ] && pass "INTx: files read back from disk match ($s1)" \
    || fail "INTx: checksums written '$s1', read back '$s1b'"
  [ "${irqs:-0}" -gt 0 ] 2>/dev/null && pass "INTx: $irqs interrupts on the IOAPIC line" \
    || fail "INTx: interrupt count '$irqs'"
else
  fail "INTx boot did not finish; console tail: $(tail -c 1500 "$CONSOLE")"
fi
vmctl stop blk2 --force >/dev/null 2>&1
if [ "$failures" != 0 ]; then
  for f in "$RUN"/state/vms/*/*.log; do cp "$f" "$WORK/" 2>/dev/null; done
  grep -v unclaimed_access "$WORK/vmmd.log" | tail -5 | cut -c1-300
fi
echo "failures=$failures"
[ "$failures" = 0 ]
