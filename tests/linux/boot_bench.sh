#!/bin/bash
# Boot benchmark (issue 3; printed figures, not a timed test). In ONE
# tools/kvmlab run, boots the identical kernel, busybox initramfs, command
# line, memory and vCPUs under our VMM (//tests/linux:run_linux: the same
# BuildMachine() the worker runs) and under qemu-system-x86_64 -enable-kvm
# (-M q35 -cpu host), alternating, RUNS times each, measured by
# tools/bootbench/bootbench.py: wall time from exec to the init marker on
# the serial console, and peak RSS minus guest RAM. Prints medians and the
# ratios ours/QEMU.
# Each VMM boots the kernel twice: as the bzImage (rows vmm, qemu) and as
# the uncompressed vmlinux through its PVH note (rows vmm-pvh, qemu-pvh;
# VMLINUX, default `tools/kvmlab/kvmlab vmlinux`), which skips the
# decompressor. PVH=0 leaves those rows out.
#   bazel build //tests/linux:run_linux && tests/linux/boot_bench.sh [RUNS]
set -eu
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUNS="${1:-3}"
MIB="${MIB:-256}"
VCPUS="${VCPUS:-2}"
KERNEL="${KERNEL:-$(ls /boot/vmlinuz-* | sort -V | tail -1)}"
CMDLINE="console=ttyS0 reboot=k quiet"
PVH="${PVH:-1}"
VMLINUX="${VMLINUX:-}"
if [ "$PVH" = 1 ] && [ -z "$VMLINUX" ]; then
  VMLINUX="$("$ROOT/tools/kvmlab/kvmlab" vmlinux)"
fi
WORK="$(mktemp -d /var/tmp/boot_bench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
cp "$(readlink -f "$ROOT/bazel-bin/tests/linux/run_linux")" "$WORK/run_linux"
cp "$ROOT/tools/bootbench/bootbench.py" "$WORK/bootbench.py"
"$ROOT/tools/guest-initramfs/build.sh" "$WORK/init.cpio" --then poweroff --no-acpid 2>/dev/null
KERNELS="vmm=$KERNEL"
[ "$PVH" = 1 ] && KERNELS="$KERNELS vmm-pvh=$VMLINUX"
cat > "$WORK/bench.sh" <<SH
#!/bin/bash
for i in \$(seq $RUNS); do
  for kv in $KERNELS; do
    tag=\${kv%%=*}; k=\${kv#*=}
    rm -f $WORK/c.log
    echo -n "\$tag "; python3 $WORK/bootbench.py --marker GUEST-INIT-OK --console $WORK/c.log \\
      --guest-mib $MIB --timeout 240 -- sh -c \\
      "exec $WORK/run_linux \$k $WORK/init.cpio $VCPUS $MIB 240 '$CMDLINE' >$WORK/c.log 2>/dev/null"
    rm -f $WORK/c.log
    echo -n "\${tag/vmm/qemu} "; python3 $WORK/bootbench.py --marker GUEST-INIT-OK \\
      --console $WORK/c.log --guest-mib $MIB --timeout 240 -- \\
      qemu-system-x86_64 -enable-kvm -M q35 -cpu host -smp $VCPUS -m $MIB \\
      -nodefaults -nographic -no-reboot -serial file:$WORK/c.log \\
      -kernel \$k -initrd $WORK/init.cpio -append "$CMDLINE"
  done
done
SH
chmod +x "$WORK/bench.sh"
"$ROOT/tools/kvmlab/kvmlab" run --cpus 2 --mem 1536 --timeout 1200 --share "$WORK" -- \
  "$WORK/bench.sh" | tee "$WORK/results.txt"
python3 - "$WORK/results.txt" "$KERNEL" "$MIB" "$VCPUS" <<'PY'
import json, statistics, sys
rows = {"vmm": [], "qemu": [], "vmm-pvh": [], "qemu-pvh": []}
for line in open(sys.argv[1]):
    name, _, js = line.partition(" ")
    try:
        d = json.loads(js)
    except ValueError:
        continue
    if d.get("time_to_marker_ms") is not None:
        rows.setdefault(name.strip(), []).append(d)
print(f"\nkernel {sys.argv[2]}, {sys.argv[3]} MiB, {sys.argv[4]} vCPUs, busybox initramfs")
med = {}
for name, ds in rows.items():
    if not ds:
        print(f"{name}: no successful run"); continue
    t = statistics.median(d["time_to_marker_ms"] for d in ds) / 1000
    r = statistics.median(d["overhead_rss_kib"] for d in ds) / 1024
    p = statistics.median(d["peak_rss_kib"] for d in ds) / 1024
    med[name] = (t, r, p)
    print(f"{name:8} runs={len(ds)} time_to_marker={t:.2f}s peak_rss={p:.1f}MiB "
          f"peak_rss_minus_ram={r:.1f}MiB")
for sfx in ("", "-pvh"):
    v, q = med.get("vmm" + sfx), med.get("qemu" + sfx)
    if v is None or q is None:
        continue
    print(f"ratio time (vmm{sfx}/qemu{sfx}) = {v[0] / q[0]:.2f}")
    # Guest pages never touched are not resident, so "peak RSS - RAM" is
    # negative for a small initramfs guest; the peak RSS ratio is the
    # comparable figure then.
    print(f"ratio peak RSS (vmm{sfx}/qemu{sfx}) = {v[2] / q[2]:.2f}")
    print(f"ratio peak RSS - RAM (vmm{sfx}/qemu{sfx}) = {v[1] / q[1]:.2f}")
for name in ("vmm", "qemu"):
    if name in med and name + "-pvh" in med:
        print(f"{name}: PVH vmlinux / bzImage time = {med[name + '-pvh'][0] / med[name][0]:.2f}")
PY
