#!/bin/bash
# The lab's reason to exist: inside it, hardware-model KVM boots Debian's
# stock kernel. Boots it with QEMU -enable-kvm (2 vCPUs, a guest-initramfs
# fixture) inside `kvmlab run` and expects the init marker, nproc=2 and a
# clean power-off. Prints QEMU's time to the marker and peak RSS (bootbench):
# the baseline that issue 3's benchmark compares our VMM against.
set -u
R="${TEST_SRCDIR:-}/vmm"
[ -d "$R/tools" ] || R="$(cd "$(dirname "$0")/../.." && pwd)"
LAB="$R/tools/kvmlab/kvmlab"
BUILD="$R/tools/guest-initramfs/build.sh"
BB="$(readlink -f "$R/tools/bootbench/bootbench.py")"
SHARE="$(mktemp -d "${TEST_TMPDIR:-/tmp}/nested.XXXXXX")"
"$BUILD" "$SHARE/guest.cpio" --init-marker NESTED-LINUX-UP || { echo "FAIL: build"; exit 1; }
KERNEL="$("$LAB" vmlinux)" || { echo "FAIL: kvmlab vmlinux"; exit 1; }

cat > "$SHARE/boot.sh" <<SH
#!/bin/sh
python3 $BB --marker NESTED-LINUX-UP --console $SHARE/console.log \\
  --guest-mib 256 --timeout 240 -- \\
  qemu-system-x86_64 -enable-kvm -M q35 -cpu host -smp 2 -m 256 \\
  -nodefaults -nographic -no-reboot -serial file:$SHARE/console.log \\
  -kernel $KERNEL -initrd $SHARE/guest.cpio -append "console=ttyS0 quiet panic=-1"
echo "bootbench_rc=\$?"
SH
chmod +x "$SHARE/boot.sh"
out=$("$LAB" run --share "$SHARE" --timeout 400 -- "$SHARE/boot.sh"); rc=$?
echo "$out"
tr -d '\r' < "$SHARE/console.log" > "$SHARE/console.txt" 2>/dev/null
failures=0
[ "$rc" = 0 ] && echo "$out" | grep -qx "bootbench_rc=0" \
  && echo "$out" | grep -q '"exit_code": 0' && echo "ok: nested QEMU exited 0" \
  || { echo "FAIL: lab rc=$rc"; failures=1; }
echo "QEMU -enable-kvm baseline (nested, 2 vCPUs, 256 MiB): $(echo "$out" | grep time_to_marker)"
for want in NESTED-LINUX-UP "^nproc=2$" "^guest-init: poweroff$"; do
  grep -aq -- "$want" "$SHARE/console.txt" && echo "ok: $want" \
    || { echo "FAIL: console lacks $want"; failures=1; }
done
if [ "$failures" != 0 ]; then tail -30 "$SHARE/console.txt"; exit 1; fi
echo PASS
