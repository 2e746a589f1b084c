#!/bin/bash
# riscv64 boot benchmark (printed figures, not a timed test): the fixture
# kernel + init (tools/riscv-fixture), Debian's OpenSBI fw_dynamic, the same
# memory and vCPUs, under our VMM (//tests/riscv64_machine:boot_riscv: the
# BuildMachine() the worker runs, TCG) and under `qemu-system-riscv64 -M
# virt` (TCG), alternating, RUNS times per vCPU count. Measured by
# tools/bootbench/bootbench.py: wall time from exec to the init marker on the
# console, and peak RSS. Prints medians and ours/QEMU ratios.
#   bazel build //tests/riscv64_machine:boot_riscv &&
#   tests/riscv64_machine/boot_bench.sh [RUNS] [VCPU_COUNTS...]
set -eu
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUNS="${1:-3}"; shift || true
COUNTS="${*:-1 2 4}"
MIB="${MIB:-256}"
FIX="$(ls -d /var/tmp/vmm-riscv-fixture/*/ | head -1)"
FW=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
CMDLINE="console=ttyS0 earlycon=sbi"
MARKER=VMM-RISCV-INIT-MARKER
BOOT="$(readlink -f "$ROOT/bazel-bin/tests/riscv64_machine/boot_riscv")"
BENCH="$ROOT/tools/bootbench/bootbench.py"
WORK="$(mktemp -d /var/tmp/rv_bench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
echo "host: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg); fixture $FIX"
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1]).get('$2'))" "$1"; }
for n in $COUNTS; do
  ours=(); qemu=(); ours_rss=(); qemu_rss=()
  for i in $(seq "$RUNS"); do
    rm -f "$WORK/c.log"
    j=$(python3 "$BENCH" --marker "$MARKER" --console "$WORK/c.log" --timeout 300 -- \
      sh -c "exec $BOOT --kernel $FIX/Image --initrd $FIX/init.cpio --vcpus $n \
             --mem-mib $MIB --cmdline '$CMDLINE' --timeout 300 >$WORK/c.log 2>/dev/null" || true)
    ours+=("$(field "$j" time_to_marker_ms)"); ours_rss+=("$(field "$j" peak_rss_kib)")
    rm -f "$WORK/c.log"
    j=$(python3 "$BENCH" --marker "$MARKER" --console "$WORK/c.log" --timeout 300 -- \
      qemu-system-riscv64 -M virt -smp "$n" -m "$MIB" -nodefaults -nographic -no-reboot \
      -serial "file:$WORK/c.log" -bios "$FW" -kernel "$FIX/Image" -initrd "$FIX/init.cpio" \
      -append "$CMDLINE" || true)
    qemu+=("$(field "$j" time_to_marker_ms)"); qemu_rss+=("$(field "$j" peak_rss_kib)")
    echo "  vcpus=$n run $i: ours ${ours[-1]} ms ${ours_rss[-1]} KiB | qemu ${qemu[-1]} ms ${qemu_rss[-1]} KiB"
  done
  python3 - "$n" "${ours[*]}" "${qemu[*]}" "${ours_rss[*]}" "${qemu_rss[*]}" <<'PY'
import statistics, sys
n = sys.argv[1]
def med(s):
    v = [float(x) for x in s.split() if x not in ("None", "")]
    return statistics.median(v) if v else float("nan")
o, q, orss, qrss = (med(a) for a in sys.argv[2:6])
print(f"vcpus={n}: boot-to-init ours {o/1000:.2f} s, qemu-tcg {q/1000:.2f} s (ours/qemu {o/q:.2f}); "
      f"peak RSS ours {orss/1024:.0f} MiB, qemu {qrss/1024:.0f} MiB (ours/qemu {orss/qrss:.2f})")
PY
done
