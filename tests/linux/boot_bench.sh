#!/bin/bash
# Boot benchmark (issue 3; printed figures, not a timed test). In ONE
# tools/kvmlab run, boots the identical kernel, busybox initramfs, command
# line, memory and vCPUs under our VMM (//tests/linux:run_linux: the same
# BuildMachine() the worker runs) and under qemu-system-x86_64 -enable-kvm
# (-M q35 -cpu host), alternating, RUNS times each, measured by
# tools/bootbench/bootbench.py: wall time from exec to the init marker on
# the serial console, and peak RSS minus guest RAM. Prints medians and the
# ratios ours/QEMU.
#   bazel build //tests/linux:run_linux && tests/linux/boot_bench.sh [RUNS]
set -eu
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUNS="${1:-3}"
MIB="${MIB:-256}"
VCPUS="${VCPUS:-2}"
KERNEL="${KERNEL:-$(ls /boot/vmlinuz-* | sort -V | tail -1)}"
CMDLINE="console=ttyS0 reboot=k quiet"
WORK="$(mktemp -d /var/tmp/boot_bench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
cp "$(readlink -f "$ROOT/bazel-bin/tests/linux/run_linux")" "$WORK/run_linux"
cp "$ROOT/tools/bootbench/bootbench.py" "$WORK/bootbench.py"
"$ROOT/tools/guest-initramfs/build.sh" "$WORK/init.cpio" --then poweroff 2>/dev/null
cat > "$WORK/bench.sh" <<SH
#!/bin/bash
for i in \$(seq $RUNS); do
  rm -f $WORK/c.log
  echo -n "vmm  "; python3 $WORK/bootbench.py --marker GUEST-INIT-OK --console $WORK/c.log \\
    --guest-mib $MIB --timeout 240 -- sh -c \\
    'exec $WORK/run_linux $KERNEL $WORK/init.cpio $VCPUS $MIB 240 "$CMDLINE" >$WORK/c.log 2>/dev/null'
  rm -f $WORK/c.log
  echo -n "qemu "; python3 $WORK/bootbench.py --marker GUEST-INIT-OK --console $WORK/c.log \\
    --guest-mib $MIB --timeout 240 -- \\
    qemu-system-x86_64 -enable-kvm -M q35 -cpu host -smp $VCPUS -m $MIB \\
    -nodefaults -nographic -no-reboot -serial file:$WORK/c.log \\
    -kernel $KERNEL -initrd $WORK/init.cpio -append "$CMDLINE"
done
SH
chmod +x "$WORK/bench.sh"
"$ROOT/tools/kvmlab/kvmlab" run --cpus 2 --mem 1536 --timeout 1200 --share "$WORK" -- \
  "$WORK/bench.sh" | tee "$WORK/results.txt"
python3 - "$WORK/results.txt" "$KERNEL" "$MIB" "$VCPUS" <<'PY'
import json, statistics, sys
rows = {"vmm": [], "qemu": []}
for line in open(sys.argv[1]):
    name, _, js = line.partition(" ")
    try:
        d = json.loads(js)
    except ValueError:
        continue
    if d.get("time_to_marker_ms") is not None:
        rows[name.strip()].append(d)
print(f"\nkernel {sys.argv[2]}, {sys.argv[3]} MiB, {sys.argv[4]} vCPUs, busybox initramfs")
med = {}
for name, ds in rows.items():
    if not ds:
        print(f"{name}: no successful run"); continue
    t = statistics.median(d["time_to_marker_ms"] for d in ds) / 1000
    r = statistics.median(d["overhead_rss_kib"] for d in ds) / 1024
    p = statistics.median(d["peak_rss_kib"] for d in ds) / 1024
    med[name] = (t, r, p)
    print(f"{name:5} runs={len(ds)} time_to_marker={t:.2f}s peak_rss={p:.1f}MiB "
          f"peak_rss_minus_ram={r:.1f}MiB")
if len(med) == 2:
    print(f"ratio time (vmm/qemu) = {med['vmm'][0] / med['qemu'][0]:.2f}")
    # Guest pages never touched are not resident, so "peak RSS - RAM" is
    # negative for a small initramfs guest; the peak RSS ratio is the
    # comparable figure then.
    print(f"ratio peak RSS (vmm/qemu) = {med['vmm'][2] / med['qemu'][2]:.2f}")
    print(f"ratio peak RSS - RAM (vmm/qemu) = {med['vmm'][1] / med['qemu'][1]:.2f}")
PY
