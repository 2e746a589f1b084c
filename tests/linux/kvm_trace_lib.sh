# KVM tracing in the lab kernel, for post-mortems of a triple fault (issue 3).
# Source it with WORK set (where traces go), then:
#   kvm_trace_start    when KVM_TRACE=1: enable the lab kernel's KVM trace
#                      events, frozen at the first shutdown (triple fault)
#   kvm_trace_rearm    empty the ring (before each guest of a loop)
#   kvm_trace_save VM  save the ring to $WORK/VM.trace, re-arm
#   kvm_trace_dump VM  save the ring to $WORK/VM.trace, print the faulting
#                      vCPU's last events before the shutdown (guest
#                      kernel RIPs named from the lab's kallsyms), re-arm
# On AMD the registers of a triple-faulted vCPU are gone (KVM resets the
# VMCB: svm.c shutdown_interception); the ring still has the shutdown exit
# with its RIP, the exits before it and the events KVM injected. With
# `nokaslr` in the guest's command line those RIPs match the lab's kallsyms
# shifted to _text = 0xffffffff81000000 (Debian's System.map is a stub). KVM_TRACE_KB sets the per-CPU
# ring size (default 65536 KiB).
KVM_TRACE_DIR=""
kvm_trace_start() {
  [ "${KVM_TRACE:-0}" = 1 ] || return 0
  local T=/sys/kernel/tracing e n=0
  [ -d "$T/events" ] || mount -t tracefs nodev "$T" 2>/dev/null
  if [ ! -d "$T/events/kvm" ]; then
    echo "note: no KVM trace events here"; return 0
  fi
  KVM_TRACE_DIR="$T"
  echo 0 > "$T/tracing_on"; echo > "$T/trace"; echo "${KVM_TRACE_KB:-65536}" > "$T/buffer_size_kb"
  for e in kvm_exit kvm_entry kvm_inj_exception kvm_userspace_exit kvm_pio kvm_mmio \
           kvm_inj_virq kvm_msr kvm_cr kvm_page_fault kvm_set_irq kvm_msi_set_irq \
           kvm_pic_set_irq kvm_ioapic_set_irq kvm_ioapic_delayed_eoi_inj \
           kvm_vcpu_wakeup kvm_eoi kvm_pv_eoi kvm_fpu kvm_hypercall kvm_ple_window_update \
           $(cd "$T/events/kvm" && ls -d kvm_apic* kvm_nested_* kvm_inj_* kvm_xsetbv kvm_invlpga 2>/dev/null); do
    [ -d "$T/events/kvm/$e" ] && echo 1 > "$T/events/kvm/$e/enable" 2>/dev/null && n=$((n + 1))
  done
  # The lab's changes to the guest's nested page tables (zaps on page moves,
  # THP collapses): did one touch the guest just before a fault?
  for e in kvm_tdp_mmu_spte_changed kvm_mmu_prepare_zap_page kvm_mmu_zap_all_fast \
           kvm_mmu_split_huge_page; do
    [ -d "$T/events/kvmmmu/$e" ] && echo 1 > "$T/events/kvmmmu/$e/enable" 2>/dev/null && n=$((n + 1))
  done
  # Freeze the ring at the first shutdown so that later exits (the other
  # vCPU, other guests) do not overwrite what led to it: the SVM exit
  # SHUTDOWN (0x7f) itself, or else the KVM_EXIT_SHUTDOWN (8) to userspace.
  echo 'traceoff if exit_reason == 127' > "$T/events/kvm/kvm_exit/trigger" 2>/dev/null
  echo 'traceoff if reason == 8' > "$T/events/kvm/kvm_userspace_exit/trigger"
  echo 1 > "$T/tracing_on"
  echo "note: KVM trace on ($n events, $(cat "$T/buffer_size_kb") KiB per CPU)"
  cat /proc/kallsyms > "$WORK/lab.kallsyms" 2>/dev/null
}
# The faulting vCPU's thread in the ring: its last N events up to the
# shutdown, every guest kernel RIP named from System.map.
kvm_trace_excerpt() {  # kvm_trace_excerpt TRACE [N]
  # Only the ring's tail: Python over a full 64 MiB-per-CPU ring takes
  # minutes under the lab's TCG, and the shutdown (which freezes the ring)
  # is near its end.
  tail -n 200000 "$1" > "$1.tail"
  python3 - "$1.tail" "${2:-60}" "$WORK/lab.kallsyms" <<'PY'
import bisect, re, sys
path, n, smap = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = [l.rstrip("\n") for l in open(path, errors="replace") if not l.startswith("#")]
idx = [i for i, l in enumerate(lines) if "reason shutdown" in l or "KVM_EXIT_SHUTDOWN" in l]
if not idx:
    print("(no shutdown in the ring)"); sys.exit(0)
i = idx[0]
tid = lines[i].split()[0]
# The lab runs the guests' kernel, maybe at a KASLR offset: shift its
# symbols so that _text is at 0xffffffff81000000, where `nokaslr` puts it.
syms = []
try:
    for l in open(smap):
        f = l.split()
        if len(f) == 3 and f[1] in "tTwW": syms.append((int(f[0], 16), f[2]))
    text = [a for a, s in syms if s == "_text"]
    delta = text[0] - 0xffffffff81000000 if text else 0
    syms = sorted((a - delta, s) for a, s in syms)
except Exception:
    pass
keys = [a for a, _ in syms]
def name(m):
    v = int(m.group(0), 16)
    j = bisect.bisect_right(keys, v) - 1
    if j < 0 or v < 0xffffffff80000000: return m.group(0)
    return "%s(%s+0x%x)" % (m.group(0), syms[j][1], v - syms[j][0])
mine = [l for l in lines[:i + 1] if l.split()[0] == tid]
print("--- first shutdown at ring line %d, thread %s; its last %d events:" % (i, tid, n))
for l in mine[-n:]:
    print(re.sub(r"0x[0-9a-f]{16}|0xffffffff[0-9a-f]{8}", name, l)[:400])
print("--- all threads, the 15 events before it:")
for l in lines[max(0, i - 15):i + 1]:
    print(re.sub(r"0xffffffff[0-9a-f]{8}", name, l)[:300])
PY
  rm -f "$1.tail"
}
# An empty ring before the next guest: a guest that runs for minutes fills
# 64 MiB per CPU, and a full ring keeps the oldest events, not the crash.
kvm_trace_rearm() {
  [ -n "$KVM_TRACE_DIR" ] || return 0
  echo 0 > "$KVM_TRACE_DIR/tracing_on"
  echo > "$KVM_TRACE_DIR/trace"
  echo 1 > "$KVM_TRACE_DIR/tracing_on"
}
kvm_trace_save() {  # kvm_trace_save VM: the ring to $WORK/VM.trace, then re-armed
  [ -n "$KVM_TRACE_DIR" ] || return 0
  echo 0 > "$KVM_TRACE_DIR/tracing_on"
  cp "$KVM_TRACE_DIR/trace" "$WORK/$1.trace"
  echo > "$KVM_TRACE_DIR/trace"
  echo 1 > "$KVM_TRACE_DIR/tracing_on"
}
kvm_trace_dump() {  # kvm_trace_dump VM
  [ -n "$KVM_TRACE_DIR" ] || return 0
  kvm_trace_save "$1"
  ps -eLo pid,tid,args | grep "[v]mm-worker\|[q]emu-system" > "$WORK/$1.threads" 2>/dev/null
  echo "--- $1: KVM trace saved in $WORK/$1.trace ($(wc -l < "$WORK/$1.trace") lines); last shutdown/exception lines:"
  grep -n "SHUTDOWN\|shutdown\|inj_exception\|userspace_exit" "$WORK/$1.trace" | tail -20
  kvm_trace_excerpt "$WORK/$1.trace" 60
}
