#!/bin/bash
# Reproducer for issue 3's rare triple fault of a running 2-vCPU guest: boots
# Debian's kernel on 2 vCPUs RUNS times, one guest at a time, each running
# the topology/cpuinfo checks and then SECONDS of CPU-bound and IPI-heavy
# load before it powers off:
#   - one busy loop pinned to each CPU, migrated between them every second
#     (taskset -p);
#   - a pipe from a writer on CPU 0 to a reader on CPU 1 (cross-CPU wakeups:
#     reschedule IPIs);
#   - fork+exec of a short task on the other CPU in a loop (TLB shootdowns,
#     function-call IPIs), and /proc/interrupts read every second.
# Verdict per guest: ok (console says STRESS-DONE and the VM ends SHUTOFF /
# GUEST_SHUTDOWN), crashed (CRASHED: triple fault or KVM error), panic
# (guest kernel panic/oops), hang (nothing of that within 300 s).
# With QEMU=1 every run is followed by the same guest (kernel, initramfs,
# command line, -smp 2, -m 256) under `qemu-system-x86_64 -enable-kvm`
# (qemu_power_loop.py: guest-shutdown is ok; guest-reset with our poweroff
# initramfs is a triple fault), interleaved so both see the same load.
# KVM_TRACE=1 records the lab kernel's KVM trace (kvm_trace_lib.sh) and
# saves it for a failing guest; KVM_TRACE_KEEP=1 for every guest (to compare
# healthy ones: tests/linux/README.md "Lab load"). THREAD_CPU=1 prints each
# guest's CPU use per lab thread and saves 4 s of the lab's context switches.
# LAB_MMU_STRESS=1 makes the lab kernel move guest memory under the running
# guests: memory compaction every 0.3 s and khugepaged without pauses, each
# page move or collapse being an MMU-notifier invalidation that the lab's
# KVM must carry into its nested page tables (and QEMU's TCG, emulating SVM,
# into its TLB). LAB_THP=never|madvise|always sets the lab's THP mode first.
# Both ask: do guests of ours and of QEMU fail alike when the lab's MM moves
# pages (then the lab is at fault), or only ours?
#   smp_stress_loop.sh BIN_DIR KERNEL WORK_DIR RUNS [SECONDS] [CMDLINE]
# BIN_DIR holds vmmd, vmm-worker, vmctl, mkinitramfs (tools/guest-initramfs).
# Prints one line per run and `summary: ours ok=.. crashed=.. ... / qemu ...`.
set -u
BIN="$1"; KERNEL="$2"; WORK="$3"; RUNS="$4"; SECS="${5:-15}"
# quiet: a verbose boot costs ~90 s in the lab (every console byte is a
# polled UART write, i.e. exits to userspace under nested SVM); the script
# raises the console loglevel to 8 first thing, so oopses are shown whole.
CMD="${6:-console=ttyS0 reboot=k quiet panic_on_oops=1 oops=panic nokaslr}"
HERE="$(dirname "$(readlink -f "$0")")"
. "$HERE/daemon_helpers.sh"
. "$HERE/kvm_trace_lib.sh"
start_vmmd
kvm_trace_start
THP=/sys/kernel/mm/transparent_hugepage
[ -z "${LAB_THP:-}" ] || echo "$LAB_THP" > "$THP/enabled"
echo "lab mm: thp $(cat "$THP/enabled") mmu_stress=${LAB_MMU_STRESS:-0}"
if [ "${LAB_MMU_STRESS:-0}" = 1 ]; then
  echo 0 > "$THP/khugepaged/scan_sleep_millisecs"
  echo 0 > "$THP/khugepaged/alloc_sleep_millisecs"
  (while :; do echo 1 > /proc/sys/vm/compact_memory; sleep 0.3; done) &
  MM_STRESSOR=$!
  trap 'kill $MM_STRESSOR 2>/dev/null; stop_vmmd' EXIT  # keeps start_vmmd's
fi

cat > "$WORK/stress.sh" <<SH
awk -F'\t*: ' '/^siblings|^core id/ {gsub(" ","_",\$1); print "cpu_" \$1 "=" \$2}' /proc/cpuinfo
echo "clocksource=\$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
grep -m1 '^flags' /proc/cpuinfo
echo 8 > /proc/sys/kernel/printk
taskset -c 0 sh -c 'while :; do :; done' & b0=\$!
taskset -c 1 sh -c 'while :; do :; done' & b1=\$!
taskset -c 0 yes | taskset -c 1 sh -c 'while read l; do :; done' & p=\$!
(while :; do taskset -c 1 true; taskset -c 0 true; done) & f=\$!
(while :; do dd if=/dev/zero of=/tmp/churn bs=1M count=48 2>/dev/null; rm -f /tmp/churn; done) & m=\$!
i=0
while [ \$i -lt $SECS ]; do
  taskset -p -c \$((i % 2)) \$b0 >/dev/null; taskset -p -c \$(((i + 1) % 2)) \$b1 >/dev/null
  cat /proc/interrupts > /dev/null
  sleep 1; i=\$((i + 1))
done
kill \$b0 \$b1 \$f \$p \$m
grep -E '^ *(LOC|RES|CAL|TLB|NMI):' /proc/interrupts | tr -s ' '
echo STRESS-DONE
SH
"$BIN/mkinitramfs" "$WORK/stress.cpio" --then poweroff --no-acpid --script "$WORK/stress.sh" \
  2>/dev/null || { echo "FAIL: mkinitramfs"; exit 1; }

declare -A OURS QEMUS
run_ours() {  # run_ours I: one guest through vmmd; prints its verdict line
  local vm="st$1" t0=$SECONDS verdict="" st
  vmctl create "$vm" --vcpus 2 --memory-mib 256 --kernel "$KERNEL" \
    --initrd "$WORK/stress.cpio" --cmdline "$CMD" >/dev/null || { verdict=create-failed; }
  [ -z "$verdict" ] && { vmctl start "$vm" >/dev/null || verdict=start-failed; }
  attach_console "$vm"
  # As light on the lab as qemu_power_loop.py's one process: no process
  # started per poll (daemon_helpers.sh, "Waits must cost the nested lab little").
  while [ -z "$verdict" ]; do
    nap 1
    state_now "$vm"; st=$STATE_NOW
    if [ "$st" = SHUTOFF ]; then
      if [ "$(status_of "$vm" reason)" = GUEST_SHUTDOWN ] && console_has "$WORK/$vm.console" STRESS-DONE
      then verdict=ok; else verdict="shutoff-early($(status_of "$vm" reason))"; fi
    elif [ "$st" = CRASHED ]; then verdict=crashed
    elif console_has "$WORK/$vm.console" "Kernel panic - not syncing"; then verdict=panic
    elif [ $((SECONDS - t0)) -ge 300 ]; then verdict=hang
    fi
  done
  echo "ours run $1: $verdict after $((SECONDS - t0)) s" \
    "($(grep -a '^ *RES:' "$WORK/$vm.console" | tr -d '\r' | cut -c1-60))"
  OURS[$verdict]=$((${OURS[$verdict]:-0} + 1))
  if [ "$verdict" != ok ]; then
    dump_vm "$vm"; kvm_trace_dump "$vm"
  elif [ "${KVM_TRACE_KEEP:-0}" = 1 ]; then kvm_trace_save "$vm"
  fi
  vmctl stop "$vm" --force >/dev/null 2>&1
  vmctl delete "$vm" >/dev/null 2>&1
}
run_qemu() {  # run_qemu I: the same guest under QEMU/KVM
  local out verdict
  out=$(python3 "$HERE/qemu_power_loop.py" "$KERNEL" "$WORK/stress.cpio" 1 "$WORK" "$CMD" | grep '^qemu run')
  mv "$WORK/qemu1.console" "$WORK/qemu_st$1.console" 2>/dev/null
  verdict=$(echo "$out" | sed 's/^qemu run 1: //; s/ after.*//')
  [ "$verdict" = guest-shutdown ] && ! grep -aq STRESS-DONE "$WORK/qemu_st$1.console" &&
    verdict=shutdown-early
  echo "qemu run $1: $verdict $(echo "$out" | grep -o 'after.*')"
  QEMUS[$verdict]=$((${QEMUS[$verdict]:-0} + 1))
  if [ "$verdict" != guest-shutdown ]; then
    echo "===== qemu_st$1: whole console:"; tr -d '\r' < "$WORK/qemu_st$1.console"
    echo "===== end of qemu_st$1"; kvm_trace_dump "qemu_st$1"
  elif [ "${KVM_TRACE_KEEP:-0}" = 1 ]; then kvm_trace_save "qemu_st$1"
  fi
}
mm_counters() {  # the lab's page moves so far: compaction, THP collapses
  grep -E '^(compact_migrate_scanned|compact_success|pgmigrate_success|thp_collapse_alloc|thp_fault_alloc) ' \
    /proc/vmstat | tr '\n' ' '
}
# THREAD_CPU=1: each guest's CPU use per lab thread (thread_cpu.py) and 4 s
# of the lab's context switches from 45 s in (NAME.sched): who preempts the
# vCPU threads.
sched_snapshot() {  # sched_snapshot NAME
  local I=/sys/kernel/tracing/instances/sched
  [ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
  mkdir -p "$I" 2>/dev/null || return 0
  nap 45; echo > "$I/trace"
  echo 1 > "$I/events/sched/sched_switch/enable"; echo 1 > "$I/events/sched/sched_wakeup/enable"
  nap 4; echo 0 > "$I/events/sched/enable"; cp "$I/trace" "$WORK/$1.sched"
}
cpu_start() {  # cpu_start NAME
  [ "${THREAD_CPU:-0}" = 1 ] || return 0
  python3 "$HERE/thread_cpu.py" "$WORK/$1.cpu" 5 & CPU_PID=$!
  sched_snapshot "$1" &
}
cpu_stop() {  # cpu_stop NAME
  [ "${THREAD_CPU:-0}" = 1 ] || return 0
  kill "$CPU_PID"; wait "$CPU_PID"; echo "--- lab threads' CPU during $1:"; head -10 "$WORK/$1.cpu"
}
for i in $(seq "$RUNS"); do
  kvm_trace_rearm; cpu_start "st$i"; run_ours "$i"; cpu_stop "st$i"
  [ "${QEMU:-0}" = 1 ] && { kvm_trace_rearm; cpu_start "qemu_st$i"; run_qemu "$i"; cpu_stop "qemu_st$i"; }
  echo "lab mm after round $i: $(mm_counters)"
done
line="summary: ours"
for k in "${!OURS[@]}"; do line+=" $k=${OURS[$k]}"; done
if [ "${QEMU:-0}" = 1 ]; then
  line+=" / qemu"; for k in "${!QEMUS[@]}"; do line+=" $k=${QEMUS[$k]}"; done
fi
echo "$line (of $RUNS each; load $(cut -d' ' -f1-3 /proc/loadavg))"
[ "${OURS[ok]:-0}" = "$RUNS" ]
