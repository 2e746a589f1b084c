#!/bin/bash
# Many guest poweroffs and reboots in one lab boot (issue 3: the occasional
# triple fault at guest poweroff). Starts vmmd, then boots Debian's kernel
# with a busybox initramfs on 2 vCPUs, PARALLEL guests at a time:
#   POWEROFFS guests whose init runs `poweroff -f`: each must end SHUTOFF /
#     GUEST_SHUTDOWN;
#   REBOOTS guests whose init runs `reboot -f`: each must boot again
#     (boot_count >= 2), then is force-stopped.
# Each guest raises the console loglevel to 8 just before its final action,
# so the kernel's shutdown path (and any oops) is on its console; the
# consoles are kept in WORK_DIR/pl<i>.console.
#   power_loop.sh BIN_DIR KERNEL WORK_DIR POWEROFFS REBOOTS [PARALLEL] [CMDLINE]
# BIN_DIR holds vmmd, vmm-worker, vmctl, mkinitramfs (tools/guest-initramfs).
set -u
BIN="$1"; KERNEL="$2"; WORK="$3"; POWEROFFS="$4"; REBOOTS="$5"; PARALLEL="${6:-2}"
CMD="${7:-console=ttyS0 reboot=k quiet nokaslr}"  # nokaslr: trace RIPs match System.map
# vmmd on a private socket, vmctl, status helpers, EXIT trap.
. "$(dirname "$(readlink -f "$0")")/daemon_helpers.sh"
start_vmmd

# POWER_LOOP_TRACE=1: record KVM's exits and injected exceptions in the
# (lab) kernel's trace ring, and save it when a guest fails (kvm_trace_lib.sh).
. "$(dirname "$(readlink -f "$0")")/kvm_trace_lib.sh"
KVM_TRACE="${POWER_LOOP_TRACE:-0}" kvm_trace_start
dump_trace() { kvm_trace_dump "$1"; }

echo 'echo 8 > /proc/sys/kernel/printk' > "$WORK/loud.sh"
"$BIN/mkinitramfs" "$WORK/poweroff.cpio" --then poweroff --no-acpid --script "$WORK/loud.sh" \
  2>/dev/null || { echo "FAIL: mkinitramfs"; exit 1; }
"$BIN/mkinitramfs" "$WORK/reboot.cpio" --then reboot --no-acpid --script "$WORK/loud.sh" \
  2>/dev/null || { echo "FAIL: mkinitramfs"; exit 1; }
# The machine's own exit message (the daemon's status keeps a generic one):
# from the worker log in the VM's state directory.
machine_exit_message() {  # machine_exit_message VM
  local id
  id=$(grep -o "event=vm_created vm=$1 id=[0-9a-f]*" "$WORK/vmmd.log" | tail -1 | sed 's/.*id=//')
  [ -n "$id" ] && grep -h "event=machine_exited" "$RUN/state/vms/$id/worker.log" 2>/dev/null |
    tail -1 | sed 's/.*message=//; s/ rebuild=.*//'
}
keep_state() {  # keep_state VM: the daemon's state dir (worker logs) for a post-mortem
  cp -r "$RUN/state" "$WORK/$1.state" 2>/dev/null
  local log; log=$(worker_log_of "$1")  # This VM's own worker log.
  [ -n "$log" ] && grep -a "machine_\|guest_crashed\|guest_prepares\|event=exit\|level=error" "$log" |
    tail -8 | cut -c1-300
}

# Guest i: poweroff for i <= POWEROFFS, then reboots.
total=$((POWEROFFS + REBOOTS))
start_guest() {  # start_guest I
  local vm="pl$1" rd=poweroff
  [ "$1" -gt "$POWEROFFS" ] && rd=reboot
  # POWER_LOOP_VMLINUX (an uncompressed vmlinux, PVH entry): every other
  # guest boots it instead of the bzImage, which is faster in the lab.
  local k="$KERNEL"
  [ -n "${POWER_LOOP_VMLINUX:-}" ] && [ $(($1 % 2)) = 0 ] && k="$POWER_LOOP_VMLINUX"
  eval "K_$1=\$(basename \"\$k\")"
  vmctl create "$vm" --vcpus 2 --memory-mib 256 --kernel "$k" \
    --initrd "$WORK/$rd.cpio" --cmdline "$CMD" >/dev/null || { fail "create $vm"; return; }
  vmctl start "$vm" >/dev/null || fail "start $vm"
  attach_console "$vm"
  eval "T0_$1=$SECONDS"
}
# Returns 0 once guest I has reached its verdict (and reports it).
check_guest() {  # check_guest I
  local vm="pl$1" state reason bc t0 k
  eval "t0=\$T0_$1; k=\$K_$1"
  local label="$vm ($k)"
  state=$(status_of "$vm" state)
  if [ "$1" -le "$POWEROFFS" ]; then
    case "$state" in
      SHUTOFF|CRASHED) ;;
      *) # The guest printed its last line before the ACPI S5 write ("reboot:
         # Power down"): a working poweroff ends the VM within seconds.
         local pd; eval "pd=\${PD_$1:-}"
         if [ -z "$pd" ] && grep -aq "reboot: Power down" "$WORK/$vm.console"; then
           eval "PD_$1=$SECONDS"; pd=$SECONDS
         fi
         # The machine's S5 deadline is 30 s after \_PTS(5), which comes
         # just before that line.
         if [ -n "$pd" ] && [ $((SECONDS - pd)) -ge 60 ]; then
           fail "$label: still $state 60 s after the guest's 'reboot: Power down'"
         elif [ $((SECONDS - t0)) -ge 300 ]; then
           fail "$label: still $state after 300 s"
         else
           return 1
         fi
         echo "--- $vm console tail:"; tail -c 1500 "$WORK/$vm.console"; echo "---"
         dump_trace "$vm"; keep_state "$vm"; dump_threads "$vm"
         vmctl stop "$vm" --force >/dev/null 2>&1; return 0 ;;
    esac
    reason=$(status_of "$vm" reason)
    if [ "$state/$reason" = SHUTOFF/GUEST_SHUTDOWN ]; then
      # The message tells an S5 write from the machine's S5 deadline or a
      # triple fault after \_PTS(5) (x86_kvm_machine.h).
      pass "$label poweroff -> SHUTOFF/GUEST_SHUTDOWN after $((SECONDS - t0)) s:" \
        "$(machine_exit_message "$vm" | cut -c1-200)"
    else
      fail "$label poweroff: $state/$reason: $(status_of "$vm" message | cut -c1-300)"
      echo "--- $vm console tail:"; tail -c 3000 "$WORK/$vm.console"; echo "---"
      dump_trace "$vm"; keep_state "$vm"
    fi
    return 0
  fi
  bc=$(status_of "$vm" boot_count)
  if [ "${bc:-0}" -ge 2 ] 2>/dev/null; then
    pass "$label reboot -> boot_count $bc after $((SECONDS - t0)) s"
  elif [ "$state" = CRASHED ] || [ "$state" = SHUTOFF ] || [ $((SECONDS - t0)) -ge 300 ]; then
    fail "$label reboot: boot_count=$bc state=$state $(status_of "$vm" message | cut -c1-300)"
    echo "--- $vm console tail:"; tail -c 3000 "$WORK/$vm.console"; echo "---"
    dump_trace "$vm"; keep_state "$vm"; dump_threads "$vm"
  else
    return 1
  fi
  vmctl stop "$vm" --force >/dev/null 2>&1
  return 0
}

next=1; running=()
while [ $next -le $total ] || [ ${#running[@]} -gt 0 ]; do
  while [ ${#running[@]} -lt "$PARALLEL" ] && [ $next -le $total ]; do
    start_guest $next; running+=($next); next=$((next + 1))
  done
  sleep 1
  still=()
  for i in "${running[@]}"; do check_guest "$i" || still+=("$i"); done
  running=("${still[@]}")
done
echo "failures=$failures of $total"
[ "$failures" = 0 ]
