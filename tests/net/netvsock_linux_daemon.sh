#!/bin/bash
# virtio-net and virtio-vsock with Debian's stock kernel through vmmd +
# vmctl (issues 7, 8), where /dev/kvm can boot Linux (inside tools/kvmlab,
# or a hardware KVM host). Runs in a network namespace of its own. One VM,
# 2 vCPUs, a created tap (host end 10.77.0.1) and vsock (CID 42):
#   net    the guest pings the host end; NETVSOCK_MIB (default 256; the
#          Bazel target passes 16) each way with matching md5; a tx rate
#          limit of a quarter of the measured capacity, set through
#          UpdateNic (vmctl nic set-rate), holds within 10% over 5 s, and a
#          change to an eighth takes effect, also within 10%
#   vsock  64 parallel echo connections host->guest and guest->host with
#          checked bytes; a capture over the run, read by tshark, shows
#          request/response/data/shutdown with the right CIDs and ports
#   GetVm NIC and vsock counters moved; NIC counters do not drop over a
#          reboot and stay after the VM ends; throughput figures are printed.
#   netvsock_linux_daemon.sh BIN_DIR KERNEL WORK_DIR
# BIN_DIR holds vmmd, vmm-worker, vmctl, mkinitramfs, vsock_echo,
# vsock_host.py, netvsock_guest_script.sh.
set -u
if [ -z "${NETVSOCK_NETNS:-}" ]; then
  NETVSOCK_NETNS=1 exec unshare --net -- "$0" "$@"
fi
ip link set lo up
BIN="$1"; KERNEL="$2"; WORK="$3"
KVER="${KERNEL##*/vmlinuz-}"
PY=/usr/bin/python3
CID=42
# Size of the TCP transfers each way (the issue asks 256 MiB; the Bazel
# target passes less when the lab, TCG on a shared host, is too slow).
MIB="${NETVSOCK_MIB:-256}"
# vmmd on a private socket, vmctl, fail/pass, status_of, wait_state,
# attach_console, wait_console (tests/linux/daemon_helpers.sh).
. "$(dirname "$(readlink -f "$0")")/daemon_helpers.sh"
field() { json_field "$1" 2>/dev/null; }
CONSOLE="$WORK/nv1.console"
console_value() { grep -a "^$1" "$CONSOLE" | tail -1 | tr -d '\r' | cut -d' ' -f2; }

# KVM_TRACE=1: the lab kernel's KVM trace, frozen at the first triple fault
# and printed if the guest crashed (tests/linux/kvm_trace_lib.sh).
. "$(dirname "$(readlink -f "$0")")/kvm_trace_lib.sh"
start_vmmd
kvm_trace_start
VS="$RUN/v.sock"
PIDS=""
on_exit() {
  kill $PIDS 2>/dev/null
  [ "$(status_of nv1 state)" = CRASHED ] && kvm_trace_dump nv1
  cp "$RUN"/state/vms/*/worker.log "$WORK/" 2>/dev/null
  stop_vmmd
}
trap on_exit EXIT

# Built natively before the lab (netvsock_linux_test.sh): xz-decompressing
# modules under the lab's TCG takes minutes.
INITRD="$BIN/init.cpio"
if [ ! -f "$INITRD" ]; then
  INITRD="$RUN/init.cpio"
  "$BIN/mkinitramfs" "$INITRD" --then hang --script "$BIN/netvsock_guest_script.sh" \
    --modules virtio_pci,virtio_net,vmw_vsock_virtio_transport --kernel-version "$KVER" \
    --binaries "$BIN/vsock_echo" 2>"$WORK/mkinitramfs.log" || { cat "$WORK/mkinitramfs.log"; exit 1; }
fi
if [ -n "${NETVSOCK_BENCH:-}" ]; then  # Counts the guest's vsock stream.
  "$PY" "$BIN/vsock_host.py" sink "${VS}_7000" >"$RUN/sink.log" 2>&1 &
  PIDS="$PIDS $!"
fi
# The host's echo server for guest->host connections: <uds>_6000.
"$PY" "$BIN/vsock_host.py" echo-server "${VS}_6000" >"$WORK/echo.log" 2>&1 &
PIDS="$PIDS $!"
# The 256 MiB payload both ways: a 1 MiB block repeated; its md5 was
# computed natively before the lab (hashing under the lab's TCG is slow).
want_md5=$("$BIN/vsock_echo" pattern $((MIB << 20)) | md5sum | cut -d' ' -f1)

ID=$(vmctl --json create nv1 --vcpus 2 --memory-mib 384 --kernel "$KERNEL" --initrd "$INITRD" \
  --cmdline "console=ttyS0 quiet netvsock_mib=$MIB" --nic "mac=52:54:00:77:00:02" \
  --vsock-cid $CID --vsock-uds "$VS" | field 'd["id"]')
[ -n "$ID" ] || { fail "create nv1"; exit 1; }
TAP="vm${ID:0:8}n0"
t0=$SECONDS
vmctl start nv1 >/dev/null || fail "start nv1"
ip addr add 10.77.0.1/24 dev "$TAP" && ip link set "$TAP" up && pass "tap $TAP up at 10.77.0.1" \
  || fail "configuring $TAP"
vmctl capture start nv1 "$RUN/cap.pcap" >/dev/null || fail "capture start"
attach_console nv1

# Progress on stdout (the lab streams it): NIC counters every 15 s.
(while sleep 15; do
  echo "progress: $(vmctl --json get nv1 2>/dev/null | field "' '.join('%s=%s' % (k, v) for k, v in sorted(d['counters']['nics'][0].items()) if k != 'tap')")"
done) &
PIDS="$PIDS $!"

if wait_console nv1 "SERVERS-READY" 150; then
  pass "guest up, servers ready in $((SECONDS - t0)) s"
else
  fail "guest did not get ready; console tail: $(tail -c 2000 "$CONSOLE")"
  exit 1
fi
grep -aq "nic_mac=52:54:00:77:00:02" "$CONSOLE" && pass "guest sees the spec's MAC" \
  || fail "mac: $(grep -a nic_mac "$CONSOLE")"
grep -aq "nic_driver=virtio_net" "$CONSOLE" || fail "driver: $(grep -a nic_driver "$CONSOLE")"
grep -aq "PING-OK" "$CONSOLE" && pass "guest pings the host end: $(grep -a 'packets transmitted' "$CONSOLE" | tr -d '\r')" \
  || fail "ping: $(grep -a -A2 PING "$CONSOLE")"

# --- vsock host->guest: 64 parallel echo connections.
out=$("$PY" "$BIN/vsock_host.py" client "$VS" 5000 64 131072 2>&1)
echo "$out" | tail -1
echo "$out" | grep -q "^host_client ok=64 bad=0" && pass "vsock host->guest: 64 echo connections" \
  || fail "vsock host->guest: $out"
wait_console nv1 "vsock_client ok=" 60
grep -aq "vsock_client ok=64 bad=0" "$CONSOLE" && pass "vsock guest->host: 64 echo connections" \
  || fail "vsock guest->host: $(grep -a vsock_client "$CONSOLE")"
vmctl capture stop nv1 >/dev/null || fail "capture stop"

# --- Rate limit: guest->host (tx). The lab's capacity varies with the host's
# load, so the limits are set relative to an unlimited 5 s measurement:
# a quarter of it through UpdateNic (vmctl nic set-rate) must hold within
# 10%, then a change to an eighth must take effect, also within 10% (at
# half, the lab's own jitter under load already missed by 16%).
measure() {  # bytes/s received from guest port 5003 between t=1 s and t=6 s
  "$PY" - <<'PY'
import socket, time
s = socket.create_connection(("10.77.0.2", 5003), timeout=30)
t0, n, start = time.time(), 0, None
while True:
    d = s.recv(1 << 16)
    if not d:
        break
    now = time.time() - t0
    if now >= 1.0 and start is None:
        start = n
    n += len(d)
    if now >= 6.0:
        break
s.close()
print(int((n - start) / 5.0))
PY
}
within() { "$PY" -c "import sys; sys.exit(0 if abs($1 - $2) <= 0.1 * $2 else 1)"; }
set_rate() { vmctl nic set-rate nv1 0 "tx-bps=$1,tx-bps-burst=$(($1 / 10))" >/dev/null; }
export MIB
r0=$(measure)
echo "unlimited guest->host TCP: $r0 B/s"
l1=$((r0 / 4)); l2=$((r0 / 8))
set_rate "$l1" || fail "nic set-rate $l1"
sleep 1
r1=$(measure)
within "$r1" "$l1" && pass "tx limit $l1 B/s (a quarter of the capacity) holds: $r1 B/s over 5 s" \
  || fail "tx limit $l1 B/s: $r1 B/s"
set_rate "$l2" || fail "nic set-rate $l2"
sleep 1
r2=$(measure)
within "$r2" "$l2" && pass "UpdateNic to $l2 B/s takes effect: $r2 B/s" || fail "after UpdateNic to $l2: $r2 B/s"
vmctl nic set-rate nv1 0 >/dev/null || fail "nic set-rate unlimited"

# --- net: $MIB MiB each way.
# g2h_recv PORT: reads $MIB MiB from the guest's PORT; prints "md5 bytes MB/s".
g2h_recv() {
  "$PY" - "$1" <<'PY'
import hashlib, os, socket, sys, time
s = socket.create_connection(("10.77.0.2", int(sys.argv[1])), timeout=60)
h, n, want, t0 = hashlib.md5(), 0, int(os.environ["MIB"]) << 20, time.time()
# One reused buffer: a fresh 1 MiB bytes object per recv() costs page faults
# that, under the lab's TCG, throttled this receiver to ~1 MB/s.
buf = bytearray(128 << 10)
view = memoryview(buf)
while n < want:
    k = s.recv_into(buf, min(len(buf), want - n))
    if not k:
        break
    h.update(view[:k]); n += k
print(h.hexdigest(), n, "%.1f" % (n / (time.time() - t0) / 1e6))
PY
}
# h2g_send PORT: sends $MIB MiB of the pattern to the guest's PORT and waits
# for the guest to close; prints "bytes MB/s".
h2g_send() {
  "$PY" - "$BIN/pattern.bin" "$1" <<'PY'
import os, socket, sys, time
block = open(sys.argv[1], "rb").read()
s = socket.create_connection(("10.77.0.2", int(sys.argv[2])), timeout=60)
t0, n = time.time(), 0
for _ in range(int(os.environ["MIB"])):
    s.sendall(block); n += len(block)
s.shutdown(socket.SHUT_WR)
s.recv(1)  # The guest closes after reading everything.
print(n, "%.1f" % (n / (time.time() - t0) / 1e6))
PY
}
# tap_pkts DEV: frames and bytes the tap received (= the guest sent).
tap_pkts() { ip -s -j link show "$1" | "$PY" -c "import json,sys; s=json.load(sys.stdin)[0]['stats64']['rx']; print(s['packets'], s['bytes'])"; }
frame() { "$PY" -c "a='$1'.split(); b='$2'.split(); print('%d frames, %d B avg' % (int(b[0]) - int(a[0]), (int(b[1]) - int(a[1])) / max(1, int(b[0]) - int(a[0]))))"; }
tp0=$(tap_pkts "$TAP")
g2h=$(g2h_recv 5001)
tp1=$(tap_pkts "$TAP")
h2g=$(h2g_send 5002)
wait_console nv1 "NET-DONE" 120
grep -a -E "^(tcp_retrans|irq )" "$CONSOLE" | tr -d '\r' | tr '\n' ' '; echo
[ "${g2h%% *}" = "$want_md5" ] \
  && pass "$MIB MiB guest->host, md5 match ($want_md5), $(echo "$g2h" | cut -d' ' -f3) MB/s, $(frame "$tp0" "$tp1")" \
  || fail "guest->host: host got '$g2h', want $want_md5"
[ "$(console_value H2G-MD5)" = "$want_md5" ] \
  && pass "$MIB MiB host->guest, md5 match ($want_md5), $(echo "$h2g" | cut -d' ' -f2) MB/s" \
  || fail "host->guest: guest got $(console_value H2G-MD5), want $want_md5 ($h2g)"

# --- Capture: tshark decodes request/response/data/shutdown with CIDs/ports.
tshark -r "$RUN/cap.pcap" -T fields -e vsock.src_cid -e vsock.dst_cid -e vsock.src_port \
  -e vsock.dst_port -e vsock.virtio.op > "$RUN/cap.txt" 2>"$WORK/tshark.err"
"$PY" - "$RUN/cap.txt" $CID <<'PY' && pass "tshark: $(tail -1 "$RUN/cap.sum")" || fail "capture: $(cat "$RUN/cap.sum")"
import collections, sys
cid = int(sys.argv[2])
rows = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
c = collections.Counter()
for src, dst, sp, dp, op in rows:
    src, dst, sp, dp, op = int(src), int(dst), int(sp), int(dp), int(op)
    if op == 1 and (src, dst, dp) == (2, cid, 5000): c["req_h2g"] += 1
    if op == 2 and (src, dst, sp) == (cid, 2, 5000): c["resp_h2g"] += 1
    if op == 1 and (src, dst, dp) == (cid, 2, 6000): c["req_g2h"] += 1
    if op == 2 and (src, dst, sp) == (2, cid, 6000): c["resp_g2h"] += 1
    if op == 5 and {src, dst} == {2, cid}: c["rw"] += 1
    if op == 4 and {src, dst} == {2, cid}: c["shutdown"] += 1
    if {src, dst} != {2, cid}: c["wrong_cid"] += 1
summary = "%d packets: %s" % (len(rows), dict(sorted(c.items())))
open(sys.argv[1].replace(".txt", ".sum"), "w").write(summary + "\n")
ok = (c["req_h2g"] == 64 and c["resp_h2g"] == 64 and c["req_g2h"] == 64 and
      c["resp_g2h"] == 64 and c["rw"] > 0 and c["shutdown"] >= 128 and not c["wrong_cid"])
sys.exit(0 if ok else 1)
PY

# --- GetVm counters.
c=$(vmctl --json get nv1 | field "' '.join(str(x) for x in (d['counters']['nics'][0].get('rx_bytes',0), d['counters']['nics'][0].get('tx_bytes',0), d['counters']['nics'][0].get('rate_limited',0), d['counters']['vsock'].get('rx_bytes',0), d['counters']['vsock'].get('tx_bytes',0)))")
echo "counters (nic rx_bytes tx_bytes rate_limited, vsock rx_bytes tx_bytes): $c"
"$PY" -c "
import sys; v=[int(x) for x in '$c'.split()]
sys.exit(0 if v[0] >= $MIB<<20 and v[1] >= $MIB<<20 and v[2] > 0 and v[3] >= 16<<20 and v[4] >= 16<<20 else 1)" \
  && pass "GetVm NIC and vsock counters count the traffic" \
  || fail "counters: '$c'; vm: $(vmctl --json get nv1 | field 'd["status"]')"
vmctl get nv1 | grep -E "^(NIC 0|Vsock):"
if [ -n "${NETVSOCK_BENCH:-}" ]; then
  # --- Figures (not checks): vsock stream and connection rate beside a host
  # unix socket pair. virtio-net beside QEMU's: tests/net/net_bench_lab.sh.
  echo "== bench: vsock"
  "$PY" -c "import socket; socket.create_connection(('10.77.0.2', 5009), timeout=10).close()"
  for _ in $(seq 120); do console_has "$RUN/sink.log" "^sink bytes=" && break; nap 0.5; done
  echo "vsock guest->host (ours): $(grep '^sink' "$RUN/sink.log" | tail -1)"
  "$PY" "$BIN/vsock_host.py" connect-rate "$VS" 5000 200 | sed 's/^/vsock connect (ours): /'
  "$PY" "$BIN/vsock_host.py" sink "$RUN/u.sock" >"$RUN/usink.log" 2>&1 &
  PIDS="$PIDS $!"
  for _ in $(seq 100); do [ -S "$RUN/u.sock" ] && break; sleep 0.1; done
  "$PY" - "$RUN/u.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
b = bytes(1 << 16)
for _ in range(4096): s.sendall(b)
s.close()
PY
  sleep 1
  echo "unix socket pair (host): $(tail -1 "$RUN/usink.log")"
  "$PY" "$BIN/vsock_host.py" echo-server "$RUN/e.sock" >/dev/null 2>&1 &
  PIDS="$PIDS $!"
  sleep 0.5
  "$PY" - "$RUN/e.sock" <<'PY'
import socket, sys, time
t0 = time.time()
for _ in range(200):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()
dt = time.time() - t0
print("unix connect (host): n=200 secs=%.3f per_s=%.0f" % (dt, 200 / dt))
PY
fi

# --- Counters over a reboot and after the end: one path (the worker's
# GetCounters while it runs, its exit record after), summed over boots.
nic_totals() { vmctl --json get nv1 | field "' '.join(str(d['counters']['nics'][0].get(k, 0)) for k in ('rx_packets', 'rx_bytes', 'tx_packets', 'tx_bytes'))"; }
not_less() { "$PY" -c "import sys; a='$1'.split(); b='$2'.split(); sys.exit(0 if len(a) == 4 and all(int(x) >= int(y) for x, y in zip(a, b)) else 1)"; }
n1=$(nic_totals)
vmctl reboot nv1 >/dev/null || fail "reboot nv1"
wait_boots nv1 2 30
n2=$(nic_totals)
[ "$(status_of nv1 boot_count)" = 2 ] && not_less "$n2" "$n1" \
  && pass "NIC counters after a reboot ($n2) >= before ($n1)" || fail "after reboot: '$n2' < '$n1' (boot_count $(status_of nv1 boot_count))"
vmctl stop nv1 --timeout-ms 5000 >/dev/null 2>&1
wait_state nv1 SHUTOFF 60 || fail "nv1 not SHUTOFF: $(status_of nv1 state)"
n3=$(nic_totals)
not_less "$n3" "$n2" && [ "${n3%% *}" != 0 ] && pass "NIC counters kept after the VM ended: $n3" \
  || fail "counters after stop: '$n3' (before '$n2')"
ip link show "$TAP" >/dev/null 2>&1 && fail "tap left after stop" || pass "tap gone after stop"
# QEMU beside ours: tests/net/net_bench_lab.sh (interleaved, iperf3).
echo "lab run: $((SECONDS - t0)) s after start"
echo "failures=$failures"
[ $failures = 0 ]
