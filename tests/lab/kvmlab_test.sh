#!/bin/bash
# Proves what tests rely on when they run through the lab: the command's exit
# code and output come back, /dev/kvm inside is the hardware-model kvm_amd
# (not this host's kvm_pvm) and runs a guest, a --share dir is written
# through to the host, and lab failures are told apart (exit 125).
set -u
LAB="${TEST_SRCDIR:-$(dirname "$0")/..}/vmm/tools/kvmlab/kvmlab"
[ -x "$LAB" ] || LAB="$(cd "$(dirname "$0")/../.." && pwd)/tools/kvmlab/kvmlab"
PROBE="$(dirname "$(readlink -f "$LAB")")/kvm_probe.py"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
SHARE="$(mktemp -d "$TMP/share.XXXXXX")"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# 1. Lab failures: bad usage is 2, a bad --share is 125, both without booting.
"$LAB" run >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && pass "usage error exits 2" || fail "usage error exited $rc"
"$LAB" run --share /nonexistent/dir -- true 2>"$TMP/err"; rc=$?
[ "$rc" = 125 ] && grep -q "lab failure" "$TMP/err" \
  && pass "bad --share exits 125 with a message" \
  || fail "bad --share exited $rc: $(cat "$TMP/err")"

# 2. One boot: exit code, stdout/stderr capture, shared dir, real KVM, cwd.
cd "$SHARE"
export PASSED_THROUGH=from-host
"$LAB" run --share "$SHARE" --env GREETING=hi --env PASSED_THROUGH --env UNSET_VAR_XYZ -- /bin/sh -c '
  echo "out:$GREETING"
  echo "err:line" >&2
  echo "cwd:$(pwd)"
  echo written-inside > '"$SHARE"'/from-lab
  /usr/bin/python3 '"$PROBE"' --require-real > '"$SHARE"'/probe.txt
  echo "probe_rc:$?"
  [ -c /dev/net/tun ] && echo "tun:yes"
  touch /tmp/x && echo "tmp:writable"
  touch /usr/kvmlab-ro-check 2>/dev/null || echo "root:readonly"
  echo "passed:$PASSED_THROUGH unset:${UNSET_VAR_XYZ-none}"
  '"$LAB"' run --if-needed -- /bin/sh -c "echo direct:\$KVMLAB; exit 5"
  echo "if_needed_rc:$?"
  exit 42' >"$TMP/out" 2>"$TMP/err"; rc=$?
cd /
[ "$rc" = 42 ] && pass "exit code 42 propagated" || fail "exit code $rc, want 42; stderr: $(cat "$TMP/err")"
grep -qx "out:hi" "$TMP/out" && pass "stdout captured, --env passed" || fail "stdout: $(cat "$TMP/out")"
grep -qx "err:line" "$TMP/err" && pass "stderr captured" || fail "stderr: $(cat "$TMP/err")"
grep -qx "cwd:$SHARE" "$TMP/out" && pass "cwd preserved" || fail "cwd: $(grep cwd: "$TMP/out")"
[ "$(cat "$SHARE/from-lab" 2>/dev/null)" = written-inside ] \
  && pass "file written in the lab visible on the host" || fail "no $SHARE/from-lab"
grep -qx "probe_rc:0" "$TMP/out" && grep -qx "provider=kvm_amd" "$SHARE/probe.txt" \
  && grep -qx "guest_ran=yes" "$SHARE/probe.txt" \
  && pass "/dev/kvm inside is kvm_amd and ran a real-mode guest" \
  || fail "probe: $(cat "$SHARE/probe.txt" 2>/dev/null)"
grep -qx "tun:yes" "$TMP/out" && pass "/dev/net/tun present" || fail "no /dev/net/tun"
grep -qx "tmp:writable" "$TMP/out" && pass "/tmp writable" || fail "/tmp not writable"
grep -qx "root:readonly" "$TMP/out" && pass "host root read-only" || fail "host root writable!"
grep -qx "passed:from-host unset:none" "$TMP/out" && pass "--env NAME passes the caller's value" \
  || fail "env pass-through: $(grep passed: "$TMP/out")"
grep -qx "direct:1" "$TMP/out" && grep -qx "if_needed_rc:5" "$TMP/out" \
  && pass "--if-needed inside the lab runs directly (hardware KVM there)" \
  || fail "--if-needed: $(grep -E "direct:|if_needed_rc:" "$TMP/out")"

# 3. A lab kernel crash before the command finishes is retried on a fresh lab
# (the first run leaves a marker, then crashes the lab kernel via sysrq).
MARK="$SHARE/crashed-once"
crash_once='if [ -e '"$MARK"' ]; then exit 7; fi; touch '"$MARK"'; sync; echo c > /proc/sysrq-trigger; sleep 30'
"$LAB" run --share "$SHARE" -- /bin/sh -c "$crash_once" >/dev/null 2>"$TMP/err"; rc=$?
[ "$rc" = 7 ] && grep -q "retrying on a fresh lab" "$TMP/err" \
  && pass "a lab kernel crash is retried once on a fresh lab" \
  || fail "crash retry: rc=$rc, want 7; stderr: $(tail -5 "$TMP/err")"
rm -f "$MARK"
"$LAB" run --retries 0 --share "$SHARE" -- /bin/sh -c "$crash_once" >/dev/null 2>"$TMP/err"; rc=$?
[ "$rc" = 125 ] && grep -q "lab failure" "$TMP/err" \
  && pass "--retries 0: a lab kernel crash is a lab failure (125)" \
  || fail "--retries 0 crash: rc=$rc, want 125"

# 4. Exit 0 and the wall time of the smallest run (reported, not asserted).
start=$(date +%s.%N)
"$LAB" run -- true 2>"$TMP/err"; rc=$?
end=$(date +%s.%N)
[ "$rc" = 0 ] && pass "exit code 0 propagated" || fail "true exited $rc: $(cat "$TMP/err")"
echo "wall time of 'kvmlab run -- true': $(echo "$end - $start" | bc 2>/dev/null || python3 -c "print($end - $start)") s"

[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo PASS
