# Helpers for scripts that drive guests through the real vmmd + vmctl.
# Source it (bash), with BIN (the directory holding vmmd, vmm-worker, vmctl)
# and WORK (where logs and consoles go) set, then call start_vmmd. Scripts
# that run from a Bazel tree set VMMD, WORKER and VMCTL to the binaries'
# paths instead of BIN:
#
#   . daemon_helpers.sh
#   start_vmmd                       # vmmd on a private socket, and a
#                                    # `vmctl watch` of it; EXIT trap
#   vmctl create ...                 # vmctl against that daemon
#   attach_console VM                # console (with replay) -> $WORK/VM.console
#   wait_console VM TEXT SECONDS     # 0 once the console holds TEXT (literal;
#                                    # ^TEXT: at a line's start); 1 at the
#                                    # deadline or as soon as the VM is dead
#                                    # (CRASHED, or the guest kernel panicked)
#   wait_state VM STATE SECONDS      # 0 once the VM is in STATE; 1 at the
#                                    # deadline or at once when CRASHED
#   wait_boots VM N SECONDS          # 0 once the VM has booted N times; 1 at
#                                    # the deadline or at once when dead
#   console_has FILE TEXT            # as wait_console, once, on any file
#   console_count FILE TEXT          # CONSOLE_COUNT = TEXT's occurrences
#   nap SECONDS                      # sleep without starting a process
#   vm_dead VM                       # 0 when CRASHED or panicked (says which)
#   dump_vm VM                       # whole console + the worker's crash log
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
  # Bounded: a wedged daemon must fail the caller's wait, not outlast it
  # (one lab run sat in here until the lab's 600 s timeout).
  timeout 30 "${VMCTL:-$BIN/vmctl}" --socket "$SOCK" --json get "$1" 2>/dev/null |
    json_field "d['status'].get('$2', '')" 2>/dev/null
}
# Waits must cost the nested lab little: every process started there (sleep,
# grep, vmctl, python3) loads its binary over the lab's 9p root, hundreds of
# round trips whose interrupts and wake-ups preempt the guest's vCPU threads
# (tests/linux/README.md, "Lab load"). So the waits below start none: nap
# sleeps on a FIFO nobody writes, console_has reads with bash builtins, and
# a VM's state comes from the one `vmctl watch` stream start_vmmd keeps.
nap() {  # nap SECONDS
  if [ -n "${NAP_FD:-}" ]; then read -r -t "$1" -u "$NAP_FD" _; else sleep "$1"; fi
  return 0
}
read_text() {  # read_text FILE: sets TEXT to FILE without its NUL bytes and CRs; 1 if unreadable
  local pieces
  TEXT=""
  [ -r "$1" ] || return 1
  mapfile -d '' pieces < "$1"  # split at NUL bytes, which bash strings cannot hold
  local IFS=''
  TEXT="${pieces[*]}"
  TEXT="${TEXT//$'\r'/}"
}
console_has() {  # console_has FILE TEXT: TEXT in FILE; ^TEXT: at a line's start
  local p="$2"
  read_text "$1" || return 1
  if [[ $p == ^* ]]; then [[ $'\n'$TEXT == *$'\n'"${p#^}"* ]]; else [[ $TEXT == *"$p"* ]]; fi
}
console_count() {  # console_count FILE TEXT: sets CONSOLE_COUNT, TEXT's occurrences in FILE
  local rest
  CONSOLE_COUNT=0
  [ -n "$2" ] && read_text "$1" || return 0
  rest="${TEXT//"$2"/}"
  CONSOLE_COUNT=$(( (${#TEXT} - ${#rest}) / ${#2} ))
}
# One pass over the watch stream's lines ("TIME NAME ID state reason [message]")
# for VM: WATCHED_STATE (e.g. RUNNING) and WATCHED_BOOTS (1 once running, N
# after "rebooted boot N"). 1 when the stream is gone or has no line for VM.
watched() {  # watched VM
  WATCHED_STATE="" WATCHED_BOOTS=""
  [ -n "${WATCH_PID:-}" ] && kill -0 "$WATCH_PID" 2>/dev/null || return 1
  local _t name _id st reason msg
  while read -r _t name _id st reason msg; do
    [ "$name" = "$1" ] || continue
    WATCHED_STATE="${st^^}"
    if [ "$reason" = rebooted ] && [[ $msg =~ ^boot\ ([0-9]+) ]]; then WATCHED_BOOTS=${BASH_REMATCH[1]}
    elif [ "$st" = running ] && [ -z "$WATCHED_BOOTS" ]; then WATCHED_BOOTS=1; fi
  done < "$RUN/events"
  [ -n "$WATCHED_STATE" ]
}
boots_now() {  # boots_now VM: sets BOOTS_NOW, from the stream, else from vmctl
  if watched "$1" && [ -n "$WATCHED_BOOTS" ]; then BOOTS_NOW=$WATCHED_BOOTS
  else BOOTS_NOW=$(status_of "$1" boot_count); fi
}
wait_boots() {  # wait_boots VM N SECONDS: 0 once VM has booted N times; 1 at the deadline or dead
  local end=$((SECONDS + $3)) n=0
  while [ "$SECONDS" -le "$end" ]; do
    boots_now "$1"
    [ "${BOOTS_NOW:-0}" -ge "$2" ] 2>/dev/null && return 0
    n=$((n + 1)); [ $((n % 4)) = 0 ] && vm_dead "$1" && return 1
    nap 0.5
  done
  return 1
}
state_now() {  # state_now VM: sets STATE_NOW, from the stream, else from vmctl
  if watched "$1"; then STATE_NOW=$WATCHED_STATE; else STATE_NOW=$(status_of "$1" state); fi
}
wait_state() {  # wait_state VM STATE SECONDS
  local end=$((SECONDS + $3))
  while [ "$SECONDS" -le "$end" ]; do
    state_now "$1"
    [ "$STATE_NOW" = "$2" ] && return 0
    # A crashed VM never changes state again: do not wait out the deadline.
    [ "$STATE_NOW" = CRASHED ] && { echo "note: $1 is CRASHED (wanted $2)"; return 1; }
    nap 0.5
  done
  return 1
}
# A guest that cannot reach what a test waits for any more: the VM CRASHED
# (triple fault, KVM error), or the guest kernel panicked (it then idles:
# panic=0, the default).
vm_dead() {  # vm_dead VM
  if console_has "$WORK/$1.console" "Kernel panic - not syncing"; then
    echo "note: $1's kernel panicked"; return 0
  fi
  state_now "$1"
  [ "$STATE_NOW" = CRASHED ] && { echo "note: $1 is CRASHED"; return 0; }
  return 1
}
CONSOLES=()
attach_console() {  # attach_console VM: streams its console (with replay) to $WORK/VM.console
  (sleep 900 | vmctl console "$1" --replay --timeout-ms 600000 > "$WORK/$1.console" 2>&1) &
  CONSOLES+=($!)
}
wait_console() {  # wait_console VM TEXT SECONDS (TEXT as console_has takes it)
  local end=$((SECONDS + $3)) n=0
  while [ "$SECONDS" -le "$end" ]; do
    console_has "$WORK/$1.console" "$2" && return 0
    # Every ~2 s: stop at once when the guest can no longer get there.
    n=$((n + 1)); [ $((n % 4)) = 0 ] && vm_dead "$1" && return 1
    nap 0.5
  done
  return 1
}
# The worker log of VM (in the daemon's state dir): its id from vmmd's log.
worker_log_of() {  # worker_log_of VM
  local id
  id=$(grep -ao "event=vm_created vm=$1 id=[0-9a-f]*" "$WORK/vmmd.log" | tail -1 | sed 's/.*id=//')
  [ -n "$id" ] && echo "$RUN/state/vms/$id/worker.log"
}
# Where each of VM's worker threads is: state, kernel wait channel and
# kernel stack (a vCPU thread inside KVM_RUN shows kvm_vcpu_ioctl), then the
# user stacks (gdb). Tells a vCPU that never leaves the guest from a worker
# thread blocked on a lock.
dump_threads() {  # dump_threads VM
  local pid t
  pid=$(status_of "$1" worker_pid)
  [ -n "$pid" ] && [ "$pid" != 0 ] && [ -d "/proc/$pid" ] || { echo "no worker process for $1"; return; }
  echo "===== $1: worker $pid threads (state, wchan, kernel stack):"
  for t in /proc/"$pid"/task/*; do
    echo "-- tid $(basename "$t") $(awk '{print $3}' "$t/stat") wchan=$(cat "$t/wchan" 2>/dev/null)"
    head -6 "$t/stack" 2>/dev/null | sed 's/^/     /'
  done
  command -v gdb >/dev/null &&
    timeout 60 gdb -p "$pid" -batch -ex "thread apply all bt 12" 2>/dev/null | grep -a "^Thread\|^#" | cut -c1-200
}
on_fail_dump() {  # on_fail_dump VM
  vmctl get "$1" 2>&1 | head -20
  grep -v unclaimed_access "$WORK/vmmd.log" | tail -10 | cut -c1-300
}
# Everything there is about a failed guest: its whole console and what the
# worker logged of the crash (guest_crashed names the faulting vCPU, its
# registers, pending events and last exits; vcpu_state_at_crash every vCPU).
dump_vm() {  # dump_vm VM
  echo "===== $1: state=$(status_of "$1" state) reason=$(status_of "$1" reason)"
  echo "===== $1: whole console:"
  tr -d '\r' < "$WORK/$1.console" 2>/dev/null
  local log; log=$(worker_log_of "$1")
  echo "===== $1: worker log ($log), errors and the machine's exit:"
  [ -n "$log" ] && grep -a "level=error\|machine_exited\|machine_destroyed\|guest_prepares\|event=exit" "$log" | cut -c1-1500
  echo "===== end of $1"
}

stop_vmmd() {
  local c
  for c in "${CONSOLES[@]}"; do kill "$c" 2>/dev/null; done
  CONSOLES=()
  [ -z "${WATCH_PID:-}" ] || { kill "$WATCH_PID" 2>/dev/null; WATCH_PID=""; }
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
  mkfifo "$RUN/nap" && exec {NAP_FD}<> "$RUN/nap"
  for _ in $(seq 100); do
    if [ -S "$SOCK" ]; then
      "${VMCTL:-$BIN/vmctl}" --socket "$SOCK" watch > "$RUN/events" 2>&1 &
      WATCH_PID=$!
      return 0
    fi
    nap 0.1
  done
  echo "FAIL: vmmd did not listen"
  cat "$WORK/vmmd.log"
  exit 1
}
