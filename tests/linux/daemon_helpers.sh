# Helpers for scripts that drive guests through the real vmmd + vmctl.
# Source it (bash), with BIN (the directory holding vmmd, vmm-worker, vmctl)
# and WORK (where logs and consoles go) set, then call start_vmmd. Scripts
# that run from a Bazel tree set VMMD, WORKER and VMCTL to the binaries'
# paths instead of BIN:
#
#   . daemon_helpers.sh
#   start_vmmd                       # vmmd on a private socket; EXIT trap
#   vmctl create ...                 # vmctl against that daemon
#   attach_console VM                # console (with replay) -> $WORK/VM.console
#   wait_console VM REGEX SECONDS    # 0 once the console matches
#   wait_state VM STATE SECONDS      # 0 once `vmctl get` shows STATE
#   status_of VM FIELD               # a field of the VM's status (state, reason, ...)
#   on_fail_dump VM                  # what the daemon knows, for a failure message
#   fail MSG / pass MSG              # counted in $failures
#
# The socket and state dir are in a fresh local directory ($RUN): a 9p
# share (the lab's --share) cannot hold a unix socket. The EXIT trap stops
# the consoles and the daemon and removes $RUN; a script that needs its own
# EXIT work calls stop_vmmd from it.

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
vmctl() { "${VMCTL:-$BIN/vmctl}" --socket "$SOCK" "$@"; }
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
status_of() {  # status_of VM FIELD
  vmctl --json get "$1" 2>/dev/null | json_field "d['status'].get('$2', '')" 2>/dev/null
}
wait_state() {  # wait_state VM STATE SECONDS
  local end=$((SECONDS + $3))
  while [ "$SECONDS" -le "$end" ]; do
    [ "$(status_of "$1" state)" = "$2" ] && return 0
    sleep 0.5
  done
  return 1
}
CONSOLES=()
attach_console() {  # attach_console VM: streams its console (with replay) to $WORK/VM.console
  (sleep 900 | vmctl console "$1" --replay --timeout-ms 600000 > "$WORK/$1.console" 2>&1) &
  CONSOLES+=($!)
}
wait_console() {  # wait_console VM REGEX SECONDS
  local end=$((SECONDS + $3))
  while [ "$SECONDS" -le "$end" ]; do
    grep -aq "$2" "$WORK/$1.console" 2>/dev/null && return 0
    sleep 0.5
  done
  return 1
}
on_fail_dump() {  # on_fail_dump VM
  vmctl get "$1" 2>&1 | head -20
  grep -v unclaimed_access "$WORK/vmmd.log" | tail -10 | cut -c1-300
}

stop_vmmd() {
  local c
  for c in "${CONSOLES[@]}"; do kill "$c" 2>/dev/null; done
  CONSOLES=()
  if [ -n "${DAEMON:-}" ]; then
    kill -TERM "$DAEMON" 2>/dev/null; wait "$DAEMON" 2>/dev/null
    DAEMON=""
  fi
  [ -z "${RUN:-}" ] || rm -rf "$RUN"
}

start_vmmd() {  # sets RUN, SOCK, DAEMON; exits the script when vmmd does not listen
  RUN="$(mktemp -d /tmp/vmmd_run.XXXXXX)"
  SOCK="$RUN/vmmd.sock"
  "${VMMD:-$BIN/vmmd}" --socket="$SOCK" --state-dir="$RUN/state" --worker="${WORKER:-$BIN/vmm-worker}" \
    2>"$WORK/vmmd.log" &
  DAEMON=$!
  trap stop_vmmd EXIT
  local _
  for _ in $(seq 100); do [ -S "$SOCK" ] && return 0; sleep 0.1; done
  echo "FAIL: vmmd did not listen"
  cat "$WORK/vmmd.log"
  exit 1
}
