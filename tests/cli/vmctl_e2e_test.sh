#!/bin/bash
# End to end through the CLI: starts a real vmmd on a private socket and state
# dir, and drives it only with vmctl: create (flags and --spec), bad requests
# and their exit codes, start a payload VM and read its console, interactive
# console input, pause/resume, stop, delete, watch, name-or-id references.
set -u
R="${TEST_SRCDIR:-}/vmm"
if [ ! -d "$R/api" ]; then R="$(cd "$(dirname "$0")/../.." && pwd)/bazel-bin"; fi
VMMD="$R/api/vmmd"
WORKER="$R/vmm/worker/vmm-worker"
VMCTL="$R/tools/vmctl/vmctl"
HELLO="$(readlink -f "$R/tests/guests/hello.bin")"
TICKER="$(readlink -f "$R/tests/guests/ticker.bin")"
# sun_path is 108 bytes: keep the socket short, not under TEST_TMPDIR.
WORK="$(mktemp -d /tmp/vmctl_e2e.XXXXXX)"
SOCK="$WORK/vmmd.sock"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
vmctl() { "$VMCTL" --socket "$SOCK" "$@"; }
json_field() {  # json_field EXPR < json: prints the Python expression on it
  python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
state_of() { vmctl --json get "$1" 2>/dev/null | json_field 'd["status"]["state"]'; }
wait_state() {  # wait_state VM STATE [seconds]: by the clock, not tries,
  local end=$((SECONDS + ${3:-20}))  # so a slow host (the lab) is not hurt.
  while [ "$SECONDS" -le "$end" ]; do
    [ "$(state_of "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

"$VMMD" --socket="$SOCK" --state-dir="$WORK/state" --worker="$WORKER" \
  2>"$WORK/vmmd.log" &
DAEMON=$!
WATCH=
cleanup() {
  [ -z "$WATCH" ] || kill "$WATCH" 2>/dev/null
  kill -TERM "$DAEMON" 2>/dev/null
  wait "$DAEMON" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "FAIL: vmmd did not listen"; cat "$WORK/vmmd.log"; exit 1; }

# --- Listing and bad requests: exit 1 with "vmctl: CODE: message", usage 2.
out=$(vmctl list); rc=$?
[ $rc = 0 ] && [ "$(echo "$out" | head -1 | tr -s ' ')" = "NAME ID STATE REASON VCPUS MEMORY ACCEL" ] \
  && pass "empty list prints the header" || fail "list: rc=$rc out=$out"
vmctl frobnicate >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && pass "unknown command exits 2" || fail "unknown command exited $rc"
err=$(vmctl get nosuchvm 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && [[ "$err" == "vmctl: NOT_FOUND: "* ]] \
  && pass "unknown VM: $err" || fail "get nosuchvm: rc=$rc err=$err"
err=$(vmctl create bad0 --payload "$HELLO" --vcpus 0 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && [[ "$err" == "vmctl: INVALID_ARGUMENT: "* ]] \
  && pass "0 vCPUs: $err" || fail "vcpus=0: rc=$rc err=$err"
err=$(vmctl create bad1 --payload /nonexistent/p.bin 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && [[ "$err" == "vmctl: "* ]] \
  && pass "missing payload file: $err" || fail "missing payload: rc=$rc err=$err"
"$VMCTL" --socket "$WORK/nothere.sock" list >/dev/null 2>"$WORK/err"; rc=$?
[ $rc = 1 ] && grep -q "^vmctl: UNAVAILABLE: " "$WORK/err" \
  && pass "no daemon: UNAVAILABLE" || fail "no daemon: rc=$rc $(cat "$WORK/err")"

# --- hello: create from flags, start, runs to power-off, console replay.
vmctl --json watch > "$WORK/watch.json" 2>&1 &
WATCH=$!
sleep 0.3
out=$(vmctl --json create hello1 --vcpus 1 --memory-mib 16 --payload "$HELLO"); rc=$?
ID=$(echo "$out" | json_field 'd["id"]' 2>/dev/null)
[ $rc = 0 ] && [ -n "$ID" ] && pass "created hello1 (id $ID)" || fail "create: rc=$rc $out"
err=$(vmctl create hello1 --payload "$HELLO" 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && [[ "$err" == "vmctl: ALREADY_EXISTS: "* ]] \
  && pass "duplicate name: $err" || fail "duplicate: rc=$rc err=$err"
out=$(vmctl get "$ID"); rc=$?   # An id works where a name does.
[ $rc = 0 ] && echo "$out" | grep -q "^Name: *hello1$" \
  && pass "get by id" || fail "get by id: rc=$rc $out"
vmctl start hello1 >/dev/null || fail "start hello1"
wait_state hello1 SHUTOFF && pass "hello1 powered off by itself" \
  || fail "hello1 state $(state_of hello1)"
err=$(vmctl console hello1 --timeout-ms 1500 </dev/null 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && [[ "$err" == "vmctl: FAILED_PRECONDITION: "* ]] \
  && pass "console of a stopped VM: $err" || fail "console stopped: rc=$rc err=$err"
vmctl list | grep -E "^hello1 +$ID +shutoff +guest_shutdown +1 +16MiB" >/dev/null \
  && pass "list row for hello1" || fail "list: $(vmctl list)"

# --- ticker from a --spec file: console input, pause/resume, stop, delete.
cat > "$WORK/ticker.json" <<JSON
{"name": "ticker1", "arch": "X86_64", "vcpus": 1, "memory_mib": 16,
 "boot": {"payload": {"path": "$TICKER"}}}
JSON
vmctl create --spec "$WORK/ticker.json" >/dev/null || fail "create --spec"
vmctl start ticker1 >/dev/null || fail "start ticker1"
wait_state ticker1 RUNNING || fail "ticker1 not running"
sleep 1  # Let it tick before anyone is attached: --replay must show that.
out=$(vmctl console ticker1 --replay --timeout-ms 1000 </dev/null); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "tick" \
  && pass "console --replay shows earlier output" || fail "replay: rc=$rc out=$out"
out=$( (sleep 0.5; printf 'k'; sleep 1.5) | vmctl console ticker1 --timeout-ms 3000); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "rx: k" && echo "$out" | grep -q "tick" \
  && pass "console: ticks out, input echoed" || fail "console input: rc=$rc out=$out"
vmctl pause ticker1 | grep -q " paused " && [ "$(state_of ticker1)" = PAUSED ] \
  && pass "pause" || fail "pause: $(state_of ticker1)"
vmctl resume ticker1 | grep -q " running " && pass "resume" || fail "resume"
out=$(vmctl stop ticker1 --timeout-ms 5000); rc=$?
[ $rc = 0 ] && wait_state ticker1 SHUTOFF 10 && pass "graceful stop: $(echo "$out" | tail -1 | tr -s ' ')" \
  || fail "stop: rc=$rc $out"
err=$(vmctl pause ticker1 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && [[ "$err" == "vmctl: FAILED_PRECONDITION: "* ]] \
  && pass "pause a stopped VM: $err" || fail "pause stopped: rc=$rc err=$err"
[ "$(vmctl delete ticker1)" = "deleted ticker1" ] && ! vmctl list | grep -q ticker1 \
  && pass "delete" || fail "delete"

# --- watch saw the transitions, one JSON object per line.
sleep 0.5
kill "$WATCH" 2>/dev/null
for want in '"vm_name":"hello1".*"state":"RUNNING"' '"vm_name":"hello1".*"state":"SHUTOFF"' \
            '"vm_name":"ticker1".*"state":"PAUSED"' '"vm_name":"ticker1".*"deleted":true'; do
  grep -qE "$want" "$WORK/watch.json" && pass "watch: $want" || fail "watch lacks $want"
done
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()]' \
  "$WORK/watch.json" && pass "watch --json: one object per line" || fail "watch json"

if [ "$failures" != 0 ]; then
  echo "--- vmmd log:"; tail -40 "$WORK/vmmd.log"; echo "$failures failure(s)"; exit 1
fi
echo PASS
