#!/bin/bash
# Two Debian-kernel VMs through vmmd + vmctl on a Linux bridge (issues 7, 8),
# where /dev/kvm can boot Linux (inside tools/kvmlab, or a hardware KVM
# host), in a network namespace of its own. Bridge br0 at 10.78.0.1; VM a
# (10.78.0.2, 2 vCPUs, a NIC with 2 queue pairs, vsock CID 43), VM b
# (10.78.0.3, 1 vCPU). Checks:
#   bridge      a and b ping each other; b fetches 16 MiB from a, md5 matches
#   multiqueue  a's guest has rx-0/rx-1/tx-0/tx-1; 4 flows from a (pinned two
#               per vCPU) and 8 flows to a move every interrupt vector of both
#               queue pairs (input.0/1, output.0/1 in /proc/interrupts)
#   vsock flow  a host writer into a guest connection that is never read
#               blocks (stops being writable) after a bounded amount, and the
#               worker's RSS stays flat (growth < 8 MiB) while it tries 64 MiB
#   netmulti_linux_daemon.sh BIN_DIR KERNEL WORK_DIR
# BIN_DIR holds vmmd, vmm-worker, vmctl, vsock_echo, init.cpio, and beside
# this script daemon_helpers.sh and kvm_trace_lib.sh (tests/linux).
set -u
if [ -z "${NETMULTI_NETNS:-}" ]; then
  NETMULTI_NETNS=1 exec unshare --net -- "$0" "$@"
fi
ip link set lo up
BIN="$1"; KERNEL="$2"; WORK="$3"
PY=/usr/bin/python3
# vmmd on a private socket ($RUN, $SOCK), vmctl, fail/pass, status_of,
# attach_console, wait_console, dump_vm (tests/linux/daemon_helpers.sh,
# copied beside this script).
HERE="$(dirname "$(readlink -f "$0")")"
. "$HERE/daemon_helpers.sh"
field() { json_field "$1" 2>/dev/null; }
CA="$WORK/nm-a.console"; CB="$WORK/nm-b.console"  # attach_console's names
# KVM_TRACE=1: the lab kernel's KVM trace, frozen at the first triple fault
# (the lab's nested SVM: VM a triple-faulted in ~1 of 4 runs under the flows
# below before the lab waits got light; QEMU's guests fault there too).
. "$HERE/kvm_trace_lib.sh"
kvm_trace_start
# A VM that can no longer get anywhere: CRASHED (triple fault) or panicked.
# Report it with everything there is (state, console, the worker's crash
# log, the KVM trace) and end the run at once instead of waiting out every
# deadline.
crash_check() {  # crash_check [VM...] (default a b): exits the script on a dead VM
  local vm st con
  for vm in ${@:-a b}; do
    con="$CA"; [ $vm = b ] && con="$CB"
    state_now nm-$vm; st=$STATE_NOW
    if [ "$st" = CRASHED ] || console_has "$con" "Kernel panic - not syncing"; then
      fail "nm-$vm is ${st:-?} ($((SECONDS - t0)) s after start)$(grep -aq 'Kernel panic' "$con" && echo ', guest kernel panicked')"
      kvm_trace_dump nm-$vm
      echo "message: $(status_of nm-$vm message)"
      dump_vm nm-$vm  # whole console, the worker's guest_crashed / vcpu_state_at_crash
      echo "failures=$failures"
      exit 1
    fi
  done
  return 0
}
# wait_console (daemon_helpers.sh) gives up at once when the VM it waits on
# is dead; then crash_check reports it (or a dead peer) and ends the run.
wait_or_crash() {  # wait_or_crash VM(a|b) REGEX SECONDS
  wait_console nm-$1 "$2" "$3" && return 0
  crash_check
  return 1
}

start_vmmd
VS="$RUN/v.sock"
PIDS=""
trap 'kill $PIDS 2>/dev/null; for d in "$RUN"/state/vms/*/; do cp "$d/worker.log" "$WORK/worker.$(basename "$d").log" 2>/dev/null; done; stop_vmmd' EXIT
ip link add br0 type bridge && ip addr add 10.78.0.1/24 dev br0 && ip link set br0 up \
  || { echo "FAIL: bridge br0"; exit 1; }

INITRD="$BIN/init.cpio"
want_md5=$("$BIN/vsock_echo" pattern $((16 << 20)) | md5sum | cut -d' ' -f1)
t0=$SECONDS
for vm in a b; do
  if [ $vm = a ]; then
    extra=(--vcpus 2 --nic "mac=52:54:00:78:00:02,queues=2" --vsock-cid 43 --vsock-uds "$VS")
  else
    extra=(--vcpus 1 --nic "mac=52:54:00:78:00:03")
  fi
  id=$(vmctl --json create nm-$vm --memory-mib 256 --kernel "$KERNEL" --initrd "$INITRD" \
    --cmdline "console=ttyS0 quiet nokaslr nm_role=$vm" "${extra[@]}" | field 'd["id"]')
  [ -n "$id" ] || { fail "create nm-$vm"; exit 1; }
  vmctl start nm-$vm >/dev/null || { fail "start nm-$vm"; exit 1; }
  tap="vm${id:0:8}n0"
  ip link set "$tap" master br0 && ip link set "$tap" up || fail "$tap into br0"
  attach_console nm-$vm
done
pass "two VMs on br0 (ports: $(ip -br link show master br0 | cut -d' ' -f1 | tr '\n' ' '))"
for vm in a b; do
  wait_or_crash $vm "SERVERS-READY" 150 || { fail "nm-$vm: not ready: $(tail -c 1500 "$WORK/nm-$vm.console")"; exit 1; }
done
pass "both guests up in $((SECONDS - t0)) s"
ps -eLo pid,tid,args | grep "[v]mm-worker" > "$WORK/threads.txt"  # the trace names threads

# --- multiqueue on a.
q=$(grep -a "^nic_queues=" "$CA" | tr -d '\r')
[ "$q" = "nic_queues=rx-0 rx-1 tx-0 tx-1 " ] && pass "a has 2 queue pairs ($q)" || fail "a queues: '$q'"
"$PY" - > "$RUN/flows.out" 2>&1 <<'PY' &
import socket, threading
errs = []
def pull(port):
    try:
        s = socket.create_connection(("10.78.0.2", port), timeout=60)
        n = 0
        while True:
            d = s.recv(1 << 16)
            if not d: break
            n += len(d)
        if n != 4 << 20: errs.append("port %d: %d bytes" % (port, n))
    except Exception as e:
        errs.append("pull %d: %s" % (port, e))
def push(port):
    try:
        s = socket.create_connection(("10.78.0.2", port), timeout=60)
        b = bytes(1 << 16)
        for _ in range(32): s.sendall(b)
        s.close()
    except Exception as e:
        errs.append("push %d: %s" % (port, e))
ts = [threading.Thread(target=pull, args=(5010 + i,)) for i in range(4)]
ts += [threading.Thread(target=push, args=(5020 + i,)) for i in range(8)]
for t in ts: t.start()
for t in ts: t.join()
if errs: print("multiqueue flows:", errs)
raise SystemExit(1 if errs else 0)
PY
FLOWS=$!
PIDS="$PIDS $FLOWS"
# The flows run in the background so that a crash of a ends the run at once
# (their sockets would otherwise wait out their 60 s timeouts).
while kill -0 $FLOWS 2>/dev/null; do
  nap 2; kill -0 $FLOWS 2>/dev/null && crash_check a
done
wait $FLOWS || fail "multiqueue traffic: $(cat "$RUN/flows.out")"
crash_check
# Raw frames (EtherType 0x88b5) the guest sends after the flows, as seen on br0.
"$PY" - "$RUN/raw.txt" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
s.bind(("br0", 0))
s.settimeout(1.0)
out, end = open(sys.argv[1], "w"), time.time() + 90
while time.time() < end:
    try:
        out.write("%d\n" % len(s.recv(65536))); out.flush()
    except socket.timeout:
        pass
PY
RAWPID=$!
PIDS="$PIDS $RAWPID"
sleep 0.5
"$PY" -c "import socket; socket.create_connection(('10.78.0.2', 5009), timeout=10).close()"
wait_or_crash a "IRQ-DONE" 60
"$PY" - "$CA" "$RUN/irq.sum" <<'PY' && pass "both queue pairs carry traffic: $(tail -1 "$RUN/irq.sum")" || fail "multiqueue: $(cat "$RUN/irq.sum")"
import re, sys, os
lines = {}
for l in open(sys.argv[1], errors="replace"):
    m = re.match(r"^IRQ([01]) (.*)", l.strip())
    if m: lines[m.group(1)] = dict(kv.split("=") for kv in m.group(2).split())
a, b = lines.get("0", {}), lines.get("1", {})
delta = {k.split("-", 1)[1]: int(b[k]) - int(a.get(k, 0)) for k in b}
summ = "interrupts during the flows: %s" % dict(sorted(delta.items()))
open(sys.argv[2], "w").write(summ + "\n")
need = ["input.0", "input.1", "output.0", "output.1"]
sys.exit(0 if all(delta.get(k, 0) > 0 for k in need) else 1)
PY

wait_or_crash a "RAW-DONE" 60
sleep 1
raw_seen=$(sort -n "$RUN/raw.txt" 2>/dev/null | tr '\n' ' ')
r1514=$(grep -a "^rawsend len=1514" "$CA" | tr -d '\r'); r9000=$(grep -a "^rawsend len=9000" "$CA" | tr -d '\r')
if [ "$r1514" = "rawsend len=1514 result=ok" ] && [ "$r9000" = "rawsend len=9000 result=Message too long" ] \
   && [ "$raw_seen" = "1514 " ]; then
  pass "AF_PACKET: a 1514-byte frame crosses to br0; 9000 bytes is refused in the guest (EMSGSIZE), nothing above the MTU reaches the host"
else
  fail "AF_PACKET frames: guest '$r1514' / '$r9000', br0 saw lengths '$raw_seen'"
fi

# --- bridge: a <-> b.
wait_or_crash b "BRIDGE-MD5" 150
grep -aq "PEER-PING-OK" "$CB" && pass "b pings a across br0" || fail "b -> a ping: $(grep -a -A2 PEER-PING "$CB")"
wait_or_crash a "PEER-PING-" 60
grep -aq "PEER-PING-OK" "$CA" && pass "a pings b across br0" || fail "a -> b ping: $(grep -a -A2 PEER-PING "$CA")"
got=$(grep -a "^BRIDGE-MD5" "$CB" | tail -1 | tr -d '\r' | cut -d' ' -f2)
[ "$got" = "$want_md5" ] && pass "16 MiB a -> b through br0, md5 match ($want_md5)" \
  || fail "a -> b transfer: md5 $got, want $want_md5"

# --- vsock: a guest that never reads; the host writer must block, RSS flat.
pid=$(vmctl --json get nm-a | field 'd["status"]["worker_pid"]')
"$PY" - "$VS" "$pid" <<'PY' && pass "vsock: $(tail -1 "$RUN/hold.sum")" || fail "vsock flow control: $(cat "$RUN/hold.sum")"
import os, select, socket, sys, time
path, pid = sys.argv[1], int(sys.argv[2])
def rss():
    for l in open("/proc/%d/status" % pid):
        if l.startswith("VmRSS:"): return int(l.split()[1]) * 1024
s = socket.socket(socket.AF_UNIX); s.connect(path)
s.sendall(b"CONNECT 5100\n")
line = b""
while not line.endswith(b"\n"):
    d = s.recv(1)
    if not d: break
    line += d
r0 = rss()
s.setblocking(False)
block, sent, stalled = bytes(1 << 16), 0, False
while sent < 64 << 20:
    _, w, _ = select.select([], [s], [], 3.0)
    if not w:
        stalled = True
        break
    try:
        sent += s.send(block)
    except BlockingIOError:
        pass
time.sleep(1)
r1 = rss()
summ = ("reply %r; host wrote %d bytes of 64 MiB, then %s; worker RSS %d -> %d KiB (+%d KiB)"
        % (line.strip().decode(errors="replace"), sent, "blocked" if stalled else "never blocked",
           r0 >> 10, r1 >> 10, (r1 - r0) >> 10))
open(os.path.join(os.path.dirname(path), "hold.sum"), "w").write(summ + "\n")
ok = line.startswith(b"OK") and stalled and sent < 16 << 20 and r1 - r0 < 8 << 20
sys.exit(0 if ok else 1)
PY

c=$(vmctl --json get nm-a | field "d['counters']['nics'][0]")
echo "nm-a NIC counters: $c"
if [ $failures != 0 ]; then  # What became of the VMs, and the end of their consoles.
  for vm in a b; do
    vmctl get nm-$vm | grep -aE '^(State|Message|Boot count):'
    echo "--- nm-$vm console tail:"; tail -c 1500 "$WORK/nm-$vm.console" | tr -d '\r'
  done
fi
for vm in a b; do vmctl stop nm-$vm --force >/dev/null 2>&1; done
echo "lab run: $((SECONDS - t0)) s after start"
echo "failures=$failures"
[ $failures = 0 ]
