#!/bin/bash
# Bazel entry for blk_linux_daemon.sh: runs it inside tools/kvmlab (or
# directly on a hardware KVM host). Prints "skipped" and passes only when
# nested KVM is truly unavailable (`kvmlab check`).
set -u
export PATH="$PATH:/usr/sbin:/sbin"  # mke2fs
R="${TEST_SRCDIR:-}/vmm"
[ -d "$R/api" ] || R="$(cd "$(dirname "$0")/../.." && pwd)/bazel-bin"
KERNEL="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)"
[ -n "$KERNEL" ] || { echo "FAIL: no /boot/vmlinuz-* (tools/setup.sh installs linux-image-amd64)"; exit 1; }
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/blk_linux.XXXXXX")"
BIN="$WORK/bin"
mkdir -p "$BIN"
# Real files, not runfiles symlinks, so the lab (host / over 9p) sees them.
for f in api/vmmd vmm/worker/vmm-worker tools/vmctl/vmctl; do
  cp "$(readlink -f "$R/$f")" "$BIN/" || { echo "FAIL: missing $R/$f"; exit 1; }
done
# Guest initramfs (modules for this kernel, mke2fs) and the read-only disk,
# made here rather than under the lab's TCG.
"$(readlink -f "$R/tools/guest-initramfs/build.sh")" "$WORK/init.cpio" --then hang \
  --script "$(readlink -f "$R/tests/blk_linux/guest_script.sh")" \
  --modules virtio_pci,virtio_blk,ext4,crc32c_generic --kernel-version "${KERNEL##*/vmlinuz-}" \
  --binaries mke2fs || { echo "FAIL: guest initramfs"; exit 1; }
mkdir -p "$WORK/rosrc" && echo "read-only content" > "$WORK/rosrc/hello.txt"
truncate -s 16M "$WORK/vdb.img"
mke2fs -q -t ext4 -d "$WORK/rosrc" -F "$WORK/vdb.img" || { echo "FAIL: mke2fs (e2fsprogs)"; exit 1; }
SCRIPT="$(readlink -f "$R/tests/blk_linux/blk_linux_daemon.sh")"
LAB="$(readlink -f "$R/tools/kvmlab/kvmlab")"
if ! "$LAB" check 2>&1 | grep -q "nested KVM: works"; then
  echo "skipped: nested KVM is not available here (kvmlab check)"
  exit 0
fi
exec "$LAB" run --if-needed --cpus 2 --mem 1536 --timeout 800 --share "$WORK" \
  -- "$SCRIPT" "$BIN" "$KERNEL" "$WORK"
