#!/bin/bash
# bootbench against stand-in "VMMs" (shell commands writing a console file):
# the marker time, the exit code, peak RSS of a watched non-child process.
set -u
BB="$(dirname "$(readlink -f "$0")")/bootbench.py"
[ -f "$BB" ] || BB="${TEST_SRCDIR:-.}/vmm/tools/bootbench/bootbench.py"
TMP="$(mktemp -d "${TEST_TMPDIR:-/tmp}/bb.XXXXXX")"
failures=0
check() {  # check NAME PYTHON-EXPR-ON-d
  python3 -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if ($2) else 1)" "$out" \
    && echo "ok: $1" || { echo "FAIL: $1: $out"; failures=$((failures + 1)); }
}

# Marker after ~300 ms, then exit 3.
out=$(python3 "$BB" --marker INIT-UP --console "$TMP/c1" -- \
  sh -c "sleep 0.3; echo 'noise INIT-UP more' > $TMP/c1; sleep 0.2; exit 3"); rc=$?
[ $rc = 0 ] && echo "ok: exit 0 when the marker shows" || { echo "FAIL: rc=$rc"; failures=$((failures + 1)); }
check "marker time ~300 ms" 'd["time_to_marker_ms"] is not None and 250 <= d["time_to_marker_ms"] < 3000'
check "exit code of CMD" 'd["exit_code"] == 3'

# A watched process that is not CMD's child (like a vmm worker spawned by a
# daemon) and touches 64 MiB: its VmHWM is counted; --guest-mib subtracts.
out=$(python3 "$BB" --marker UP --console "$TMP/c2" --watch 'bb-fake-worker' \
  --guest-mib 16 -- bash -c "
    ( bash -c \"exec -a bb-fake-worker python3 -c 'import time; b=bytearray(64<<20); time.sleep(0.8)'\" & )
    sleep 0.4; echo UP > $TMP/c2; sleep 0.6"); rc=$?
check "watched process peak RSS >= 64 MiB" 'd["peak_rss_kib"] >= 64 * 1024'
check "overhead = peak - guest" 'd["overhead_rss_kib"] == d["peak_rss_kib"] - 16 * 1024'

# No marker: exit 1, time null; --timeout kills a CMD that never exits.
out=$(python3 "$BB" --marker NEVER --console "$TMP/c3" --timeout 0.5 -- sleep 30); rc=$?
[ $rc = 1 ] && echo "ok: no marker exits 1" || { echo "FAIL: no marker rc=$rc"; failures=$((failures + 1)); }
check "no marker: null time" 'd["time_to_marker_ms"] is None'

# --stop-at-marker ends a VMM that would run on.
start=$SECONDS
out=$(python3 "$BB" --marker UP --console "$TMP/c4" --stop-at-marker -- \
  sh -c "echo UP > $TMP/c4; exec sleep 30"); rc=$?
[ $rc = 0 ] && [ $((SECONDS - start)) -lt 10 ] && echo "ok: --stop-at-marker" \
  || { echo "FAIL: stop-at-marker rc=$rc"; failures=$((failures + 1)); }
[ "$failures" = 0 ] && echo PASS || exit 1
