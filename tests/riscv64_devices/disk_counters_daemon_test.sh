#!/bin/bash
# GetVm disk counters of a riscv64 VM (virtio-blk behind virtio-mmio) with
# the fixture kernel (tools/riscv-fixture) on this host's TCG, through vmmd
# + vmctl only. The guest (guest/disk_init.c) reads its 4 MiB disk whole with
# O_DIRECT, prints a checksum, writes 64 KiB at 1 MiB, fsync()s and waits
# (GetVm reports counters only while the VM runs); the test reads GetVm,
# then stops the VM through the API. Checks: the guest's checksum equals the image's, the write reached the
# image, and GetVm counts >= 4 MiB read, >= 64 KiB written, a flush, no
# errors. Skips (passes) without the cached fixture, OpenSBI, or under ASan.
set -u
if [ -n "${TEST_SRCDIR:-}" ]; then
  BIN="$TEST_SRCDIR/vmm"; SRC="$BIN"
else  # By hand from the workspace, after bazel build.
  SRC="$(cd "$(dirname "$0")/../.." && pwd)"; BIN="$SRC/bazel-bin"
fi
. "$(dirname "$0")/../riscv64_machine/fixture_lib.sh"
rv_fixture_or_skip "$BIN/vmm/worker/vmm-worker"

PY=/usr/bin/python3
INITRD="$BIN/tests/riscv64_devices/disk.cpio"
WORK="${TEST_UNDECLARED_OUTPUTS_DIR:-$(mktemp -d /tmp/rvdisk.XXXXXX)}"
CONSOLE="$WORK/rv.console"
VMMD="$BIN/api/vmmd" WORKER="$BIN/vmm/worker/vmm-worker" VMCTL="$BIN/tools/vmctl/vmctl"
. "$(dirname "$0")/../linux/daemon_helpers.sh"
kv() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2" | tr -d '\r'; }  # kv KEY LINE
fnv() {  # FNV-1a 64 of a file, as the guest computes it.
  "$PY" -c "
import sys
h = 1469598103934665603
for b in open(sys.argv[1], 'rb').read():
    h = ((h ^ b) * 1099511628211) & (2**64 - 1)
print('%016x' % h)" "$1"
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

start_vmmd
IMG="$RUN/vda.img"
PIDS=""
trap 'kill $PIDS 2>/dev/null; cp "$RUN"/state/vms/*/worker.log "$WORK/" 2>/dev/null; stop_vmmd' EXIT
head -c $((4 << 20)) /dev/urandom > "$IMG"
want_fnv=$(fnv "$IMG")

vmctl create rv --arch riscv64 --vcpus 1 --memory-mib 256 \
  --kernel "$FIX/Image" --initrd "$INITRD" --cmdline "console=ttyS0" \
  --disk "path=$IMG" >/dev/null || { fail "create rv"; exit 1; }
t0=$SECONDS
vmctl start rv >/dev/null || { fail "start rv"; exit 1; }
# The console's stdin stays open (EOF would end the stream) through a FIFO
# whose writer the EXIT trap kills, so nothing outlives the test.
mkfifo "$RUN/console.in"
sleep 600 > "$RUN/console.in" &
PIDS="$PIDS $!"
"$VMCTL" --socket "$SOCK" console rv --replay --timeout-ms 300000 \
  < "$RUN/console.in" > "$CONSOLE" 2>&1 &
PIDS="$PIDS $!"

wait_console rv "^DISK-INIT-DONE" 180 && pass "guest done in $((SECONDS - t0)) s" \
  || fail "guest did not finish: state=$(status_of rv state); console tail: $(tail -c 1500 "$CONSOLE")"
[ "$(status_of rv state)" = RUNNING ] || fail "state=$(status_of rv state), want RUNNING while the guest waits"
[ "$(status_of rv accelerator)" = TCG ] || fail "accelerator: $(status_of rv accelerator)"
line=$(grep -a "^DISK-READ" "$CONSOLE" | tail -1)
[ "$(kv bytes "$line")" = $((4 << 20)) ] && [ "$(kv fnv "$line")" = "$want_fnv" ] \
  && pass "guest read the whole disk, checksum $want_fnv matches the image" \
  || fail "guest read: '$line', image fnv $want_fnv"
grep -aq "^DISK-INIT-DONE rc=0" "$CONSOLE" && pass "guest write + fsync done" \
  || fail "guest: $(grep -a "DISK-INIT-DONE\|/dev/vda" "$CONSOLE")"
"$PY" -c "
import sys
d = open(sys.argv[1], 'rb').read()
sys.exit(0 if d[1 << 20:(1 << 20) + (64 << 10)] == b'\x5a' * (64 << 10) else 1)" "$IMG" \
  && pass "the guest's 64 KiB reached the image" || fail "image lacks the guest's write"

c=$(vmctl --json get rv | json_field "' '.join(str(x.get(k, 0)) for x in d.get('counters', {}).get('disks', []) for k in ('read_requests','read_bytes','write_requests','write_bytes','flushes','errors'))")
echo "GetVm disk counters (read_requests read_bytes write_requests write_bytes flushes errors): $c"
"$PY" - "$c" <<'PY' && pass "GetVm counts the reads, the write, the flush; no errors" || fail "counters: '$c'"
import sys
v = [int(x) for x in sys.argv[1].split()]
assert len(v) == 6, v  # One disk.
rr, rb, wr, wb, fl, er = v
assert rr >= 64 and rb >= 4 << 20, v  # 64 KiB reads of a 4 MiB disk, plus the probe's.
assert wr >= 1 and wb >= 64 << 10, v
assert fl >= 1 and er == 0, v
PY

vmctl stop rv --force --timeout-ms 10000 >/dev/null || fail "stop rv"
[ "$(status_of rv state)" = SHUTOFF ] && pass "stopped through the API" || fail "state=$(status_of rv state)"

[ "$failures" = 0 ] && echo "PASS" || echo "FAILED: $failures"
[ "$failures" = 0 ]
