#!/bin/bash
# Builds a guest initramfs and boots it with Debian's stock kernel under QEMU
# (TCG, 2 vCPUs): the marker, nproc=2 and the script's output must appear on
# the serial console and the guest must power itself off.
set -u
BUILD="$(dirname "$(readlink -f "$0")")/build.sh"
[ -x "$BUILD" ] || BUILD="${TEST_SRCDIR:-.}/vmm/tools/guest-initramfs/build.sh"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
KERNEL="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)"
[ -n "$KERNEL" ] || { echo "FAIL: no /boot/vmlinuz-* (tools/setup.sh)"; exit 1; }

# Usage errors.
"$BUILD" 2>/dev/null; [ $? = 2 ] || { echo "FAIL: no OUT accepted"; exit 1; }
"$BUILD" "$TMP/x.cpio" --then explode 2>/dev/null
[ $? = 2 ] || { echo "FAIL: bad --then accepted"; exit 1; }
"$BUILD" "$TMP/x.cpio" --init-marker 'a b' 2>/dev/null
[ $? = 2 ] || { echo "FAIL: marker with a space accepted"; exit 1; }

printf 'echo script-ran-in-$(pwd)\nexit 3\n' > "$TMP/script.sh"
"$BUILD" "$TMP/g.cpio" --init-marker TEST-MARKER-42 --script "$TMP/script.sh" \
  --gzip || { echo "FAIL: build"; exit 1; }
gzip -t "$TMP/g.cpio" || { echo "FAIL: --gzip output is not gzip"; exit 1; }

start=$(date +%s)
timeout 180 qemu-system-x86_64 -M q35 -accel tcg,thread=multi -smp 2 -m 256 \
  -nodefaults -nographic -no-reboot -serial "file:$TMP/console.log" \
  -kernel "$KERNEL" -initrd "$TMP/g.cpio" \
  -append "console=ttyS0 quiet panic=-1" > "$TMP/qemu.log" 2>&1
rc=$?
echo "QEMU exited $rc after $(( $(date +%s) - start )) s"
tr -d '\r' < "$TMP/console.log" > "$TMP/c.txt"
failures=0
for want in TEST-MARKER-42 "^nproc=2$" "^mem_total_kb=[0-9]" \
            "^script-ran-in-/$" "^script_rc=3$" "^guest-init: poweroff$"; do
  grep -aq -- "$want" "$TMP/c.txt" && echo "ok: $want" \
    || { echo "FAIL: console lacks $want"; failures=$((failures + 1)); }
done
[ "$rc" = 0 ] && echo "ok: guest powered off" \
  || { echo "FAIL: QEMU exit $rc (124 = never powered off)"; failures=$((failures + 1)); }
if [ "$failures" != 0 ]; then
  echo "--- console:"; tail -30 "$TMP/c.txt"; exit 1
fi
echo PASS
