# KVM tracing in the lab kernel, for post-mortems of a triple fault (issue 3).
# Source it with WORK set (where traces go), then:
#   kvm_trace_start    when KVM_TRACE=1: enable the lab kernel's KVM trace
#                      events, frozen at the first KVM_EXIT_SHUTDOWN
#   kvm_trace_dump VM  save the ring to $WORK/VM.trace, print its last
#                      exception/shutdown lines, and re-arm
# On AMD the registers of a triple-faulted vCPU are gone (KVM resets the
# VMCB: svm.c shutdown_interception); the ring still has the last exits
# (with their RIPs) and the exceptions injected before it. With `nokaslr`
# in the guest's command line those RIPs match $WORK/lab.kallsyms (the lab
# runs the guests' kernel; _text is 0xffffffff81000000).
KVM_TRACE_DIR=""
kvm_trace_start() {
  [ "${KVM_TRACE:-0}" = 1 ] || return 0
  local T=/sys/kernel/tracing e
  [ -d "$T/events" ] || mount -t tracefs nodev "$T" 2>/dev/null
  if [ ! -d "$T/events/kvm" ]; then
    echo "note: no KVM trace events here"; return 0
  fi
  KVM_TRACE_DIR="$T"
  echo 0 > "$T/tracing_on"; echo > "$T/trace"; echo 32768 > "$T/buffer_size_kb"
  for e in kvm_exit kvm_inj_exception kvm_userspace_exit kvm_pio kvm_apic_ipi \
           kvm_apic_accept_irq kvm_inj_virq kvm_msr kvm_cr kvm_set_irq kvm_apic \
           kvm_vcpu_wakeup kvm_eoi kvm_ioapic_set_irq; do
    echo 1 > "$T/events/kvm/$e/enable" 2>/dev/null
  done
  # Freeze the ring at the first KVM_EXIT_SHUTDOWN (8) so that later exits
  # (the other vCPU, other guests) do not overwrite what led to it.
  echo 'traceoff if reason == 8' > "$T/events/kvm/kvm_userspace_exit/trigger"
  echo 1 > "$T/tracing_on"
  cat /proc/kallsyms > "$WORK/lab.kallsyms" 2>/dev/null
}
kvm_trace_dump() {  # kvm_trace_dump VM
  [ -n "$KVM_TRACE_DIR" ] || return 0
  echo 0 > "$KVM_TRACE_DIR/tracing_on"
  cp "$KVM_TRACE_DIR/trace" "$WORK/$1.trace"
  ps -eLo pid,tid,args | grep "[v]mm-worker\|[q]emu-system" > "$WORK/$1.threads" 2>/dev/null
  echo "--- $1: KVM trace saved in $WORK/$1.trace; last shutdown/exception lines:"
  grep -n "SHUTDOWN\|shutdown\|inj_exception\|userspace_exit" "$WORK/$1.trace" | tail -20
  echo > "$KVM_TRACE_DIR/trace"
  echo 1 > "$KVM_TRACE_DIR/tracing_on"
}
