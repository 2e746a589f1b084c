#!/bin/bash
# virtio-net and virtio-vsock through a real vmmd, driven with vmctl, with
# payload VMs (they run under any KVM). Runs in a network namespace of its
# own (re-executes itself under `unshare --net`): taps made here never
# touch the host's interfaces. Checks: bad NIC/vsock specs get exact gRPC
# errors; a created tap exists while the VM runs and is gone after stop and
# after kill -9 of the worker; an existing tap is attached and left as found;
# a missing tap, a taken name and a busy tap fail StartVm with what to do
# and leave nothing behind; the vsock socket listens at its default path
# and CONNECT to a guest port with no listener is answered at once; capture
# start/stop and the streaming form give pcaps that tshark reads; UpdateNic
# changes the stored limits; GetVm shows the NIC and vsock counters, and
# keeps them after the VM stops.
set -u
if [ -z "${VMM_NET_E2E_NETNS:-}" ]; then
  VMM_NET_E2E_NETNS=1 exec unshare --net -- "$0" "$@"
fi
ip link set lo up

R="${TEST_SRCDIR:-}/vmm"
if [ ! -d "$R/api" ]; then R="$(cd "$(dirname "$0")/../.." && pwd)/bazel-bin"; fi
VMMD="$R/api/vmmd"
WORKER="$R/vmm/worker/vmm-worker"
VMCTL="$R/tools/vmctl/vmctl"
TICKER="$(readlink -f "$R/tests/guests/ticker.bin")"
WORK="$(mktemp -d /tmp/vnet.XXXXXX)"
SOCK="$WORK/vmmd.sock"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
vmctl() { "$VMCTL" --socket "$SOCK" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
state_of() { vmctl --json get "$1" 2>/dev/null | json 'd["status"]["state"]'; }
wait_state() {
  local end=$((SECONDS + ${3:-30}))
  while [ "$SECONDS" -le "$end" ]; do
    [ "$(state_of "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
expect_err() {  # expect_err "WANT" CMD...: exit 1 and exactly "vmctl: WANT" on stderr
  local want="$1"; shift
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  [ $rc = 1 ] && [ "$err" = "vmctl: $want" ] && pass "$want" || fail "want '$want', got rc=$rc '$err'"
}
link_exists() { ip link show "$1" >/dev/null 2>&1; }

"$VMMD" --socket="$SOCK" --state-dir="$WORK/state" --worker="$WORKER" 2>"$WORK/vmmd.log" &
DAEMON=$!
cleanup() {
  kill -TERM "$DAEMON" 2>/dev/null
  wait "$DAEMON" 2>/dev/null
  for p in "$WORK"/state/vms/*/worker.pid; do [ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "FAIL: vmmd did not listen"; cat "$WORK/vmmd.log"; exit 1; }
base=(--vcpus 1 --memory-mib 16 --payload "$TICKER")

# --- Bad specs: exact INVALID_ARGUMENT / ALREADY_EXISTS messages.
expect_err "INVALID_ARGUMENT: spec.nics[0].mac=01:00:5e:00:00:01: a multicast address (first byte odd); use a unicast one such as 52:54:00:12:34:56" \
  vmctl create bad1 "${base[@]}" --nic mac=01:00:5e:00:00:01
expect_err "INVALID_ARGUMENT: spec.nics[0].mac=52:54:00:zz:00:01: must be six hex bytes separated by ':', e.g. 52:54:00:12:34:56" \
  vmctl create bad1 "${base[@]}" --nic mac=52:54:00:zz:00:01
expect_err "INVALID_ARGUMENT: spec.nics[0].tap=\"tap-name-too-long\": must be 1..15 characters of [a-zA-Z0-9_.-], or empty for a created tap" \
  vmctl create bad1 "${base[@]}" --nic tap=tap-name-too-long
expect_err "INVALID_ARGUMENT: spec.nics[0].num_queue_pairs=2: must be 0 (one) or 1..1 (at most 16 and at most the VM's vcpus)" \
  vmctl create bad1 "${base[@]}" --nic queues=2
expect_err "INVALID_ARGUMENT: spec.nics[0].mtu=40: must be 0 (1500) or 68..9000" \
  vmctl create bad1 "${base[@]}" --nic mtu=40
expect_err "INVALID_ARGUMENT: spec.nics[0].tx_rate_limit.bytes_burst=5: a burst needs a rate: set spec.nics[0].tx_rate_limit.bytes_per_second too, or 0" \
  vmctl create bad1 "${base[@]}" --nic tx-bps-burst=5
expect_err "INVALID_ARGUMENT: spec.vsock.guest_cid=2: must be 3..4294967294 (0-2 are reserved: 2 is the host)" \
  vmctl create bad1 "${base[@]}" --vsock-cid 2
expect_err "INVALID_ARGUMENT: spec.vsock.uds_path=rel.sock: must be an absolute path, or empty for <state dir>/vms/<id>/vsock.sock" \
  vmctl create bad1 "${base[@]}" --vsock-cid 3 --vsock-uds rel.sock

# --- net1: a created tap and a vsock device at the default path.
ID=$(vmctl --json create net1 "${base[@]}" --nic '' --vsock-cid 5 | json 'd["id"]')
[ -n "$ID" ] && pass "created net1 ($ID)" || fail "create net1"
expect_err "ALREADY_EXISTS: spec.vsock.guest_cid=5: already used by vm net1 (id $ID); pick another CID (3..4294967294)" \
  vmctl create net2 "${base[@]}" --vsock-cid 5
TAP="vm${ID:0:8}n0"
vmctl start net1 >/dev/null && wait_state net1 RUNNING && pass "net1 running" || fail "start net1"
link_exists "$TAP" && pass "tap $TAP exists while net1 runs" || fail "no tap $TAP"
got=$(vmctl --json get net1 | json 'd["counters"]["nics"][0]["tap"]')
[ "$got" = "$TAP" ] && pass "GetVm counters name the tap" || fail "counters tap: '$got'"
vmctl get net1 | grep -q "^NIC 0: .*($TAP) rx=0/0B tx=.* drops=0/0 rate_limited=0" \
  && pass "vmctl get shows NIC counters" || fail "vmctl get NIC line: $(vmctl get net1 | grep NIC)"
vmctl get net1 | grep -q "^Vsock: .*cid=5 .*connections=0" \
  && pass "vmctl get shows vsock counters" || fail "vmctl get vsock line: $(vmctl get net1 | grep Vsock)"

VS="$WORK/state/vms/$ID/vsock.sock"
[ -S "$VS" ] && pass "vsock socket at the default path" || fail "no socket $VS"
out=$(timeout 5 python3 - "$VS" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(3)
t = time.time(); s.sendall(b"CONNECT 1234\n"); data = s.recv(100)
print("EOF" if data == b"" else "DATA:%r" % data, "%.2f" % (time.time() - t))
PY
)
case "$out" in "EOF "0.*|"EOF "1.*) pass "CONNECT to an absent guest port: reset at once ($out)";;
  *) fail "CONNECT answered '$out'";; esac

# --- Capture: to a file, and streamed.
vmctl capture start net1 "$WORK/cap.pcap" >/dev/null && pass "capture start" || fail "capture start"
vmctl capture stop net1 >/dev/null && pass "capture stop" || fail "capture stop"
enc=$(capinfos -E "$WORK/cap.pcap" 2>&1 | sed -n 's/^File encapsulation: *//p')
tshark -r "$WORK/cap.pcap" >/dev/null 2>&1 && [ -n "$enc" ] \
  && pass "tshark reads the capture (encapsulation: $enc)" || fail "tshark -r: $(tshark -r "$WORK/cap.pcap" 2>&1)"
vmctl capture net1 - > "$WORK/stream.pcap" 2>"$WORK/stream.err" &
SP=$!
sleep 1
kill "$SP" 2>/dev/null; wait "$SP" 2>/dev/null
magic=$(head -c 4 "$WORK/stream.pcap" | od -An -tx1 | tr -d ' ')
[ "$magic" = "d4c3b2a1" ] && tshark -r "$WORK/stream.pcap" >/dev/null 2>&1 \
  && pass "streamed capture is a pcap tshark reads" || fail "stream: magic=$magic $(cat "$WORK/stream.err")"

# --- UpdateNic.
vmctl nic set-rate net1 0 tx-bps=2000000,rx-pps=1000 >/dev/null && pass "nic set-rate" || fail "nic set-rate"
got=$(vmctl --json get net1 | json 'd["spec"]["nics"][0]["tx_rate_limit"]["bytes_per_second"]')
[ "$got" = "2000000" ] && pass "UpdateNic stored the new limit" || fail "stored limit: $got"
expect_err "INVALID_ARGUMENT: nic_index=3: vm net1 has 1 NIC(s)" vmctl nic set-rate net1 3 tx-bps=1

# --- Stop: the created tap goes.
vmctl stop net1 --timeout-ms 5000 >/dev/null
wait_state net1 SHUTOFF && pass "net1 stopped" || fail "net1 not SHUTOFF: $(state_of net1)"
link_exists "$TAP" && fail "tap $TAP still there after stop" || pass "tap gone after stop"
# The worker's exit record keeps the last counters for GetVm (the spec
# names no tap: the name comes from the worker).
got=$(vmctl --json get net1 | json 'd["counters"]["nics"][0]["tap"]')
[ "$got" = "$TAP" ] && pass "GetVm keeps the NIC counters after SHUTOFF" || fail "counters after stop: '$got'"
expect_err "FAILED_PRECONDITION: vm net1 is SHUTOFF: StartVm it first" vmctl capture start net1 "$WORK/x.pcap"

# --- kill -9 of the worker: the tap goes with its fds.
vmctl start net1 >/dev/null && wait_state net1 RUNNING || fail "restart net1"
link_exists "$TAP" && pass "tap back on restart" || fail "no tap on restart"
PID=$(vmctl --json get net1 | json 'd["status"]["worker_pid"]')
kill -9 "$PID"
wait_state net1 CRASHED && pass "net1 CRASHED after kill -9" || fail "state after kill: $(state_of net1)"
for _ in $(seq 50); do link_exists "$TAP" || break; sleep 0.1; done
link_exists "$TAP" && fail "tap $TAP survived kill -9 of the worker" || pass "tap gone after kill -9"

# --- An existing tap is attached and left as found; a second user is refused.
ip tuntap add tapx mode tap && ip link set tapx up
vmctl create net3 "${base[@]}" --nic tap=tapx,mac=52:54:00:00:00:03 >/dev/null
vmctl start net3 >/dev/null && wait_state net3 RUNNING && pass "net3 runs on tapx" || fail "start net3"
expect_err "FAILED_PRECONDITION: vm net3: the VM has no vsock device (spec.vsock is not set)" \
  vmctl capture start net3 "$WORK/x.pcap"
vmctl create net6 "${base[@]}" --nic tap=tapx >/dev/null
err=$(vmctl start net6 2>&1 >/dev/null)
[[ "$err" == "vmctl: FAILED_PRECONDITION: vm net6 failed to start: spec.nics[0]: tap \"tapx\" is busy"* ]] \
  && pass "busy tap: $err" || fail "busy tap: $err"
vmctl stop net3 --timeout-ms 5000 >/dev/null; wait_state net3 SHUTOFF
link_exists tapx && pass "attached tap left in place" || fail "tapx removed"

# --- A missing tap; a generated name that is taken: nothing half-made.
vmctl create net4 "${base[@]}" --nic tap=nosuch >/dev/null
expect_err "FAILED_PRECONDITION: vm net4 failed to start: spec.nics[0]: tap \"nosuch\" does not exist: create it first (ip tuntap add nosuch mode tap)" \
  vmctl start net4
ID5=$(vmctl --json create net5 "${base[@]}" --nic '' --nic '' | json 'd["id"]')
ip tuntap add "vm${ID5:0:8}n1" mode tun
err=$(vmctl start net5 2>&1 >/dev/null)
[ "$err" = "vmctl: FAILED_PRECONDITION: vm net5 failed to start: spec.nics[1]: tap \"vm${ID5:0:8}n1\" cannot be created: an interface of that name exists; pick another name or attach to it" ] \
  && pass "taken name: $err" || fail "taken name: $err"
link_exists "vm${ID5:0:8}n0" && fail "NIC 0's tap left behind" || pass "no tap left half-made"
[ "$(vmctl --json get net5 | json 'd["status"]["worker_pid"]')" = "0" ] \
  && pass "no worker left" || fail "worker left running"

echo "$failures failure(s)"
[ $failures = 0 ] || { echo "--- vmmd log"; tail -30 "$WORK/vmmd.log"; }
[ $failures = 0 ]
