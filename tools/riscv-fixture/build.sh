#!/bin/bash
# Builds the riscv64 test fixture: a minimal Linux `Image` from Debian's
# linux-source-6.1 (tinyconfig + kernel.config) and an initramfs `init.cpio`
# holding a static test init (init.c). The result is cached outside the repo
# under $VMM_RISCV_FIXTURE_CACHE/<sha256 of recipe version, config, init.c,
# source tarball size and compiler version>, so a
# second run is instant. Prints the cache directory on stdout (last line).
#
# Needs (apt): linux-source-6.1 gcc-riscv64-linux-gnu flex bison bc
# Optional check: --verify boots the fixture under qemu-system-riscv64 (QEMU
# is a reference only, never a dependency of the product).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${VMM_RISCV_FIXTURE_CACHE:-/var/tmp/vmm-riscv-fixture}"
src_tar="${LINUX_SOURCE_TAR:-/usr/src/linux-source-6.1.tar.xz}"
cross=riscv64-linux-gnu-
jobs="${JOBS:-2}"
verify=0
cached_only=0
case "${1:-}" in
  --verify) verify=1 ;;
  --cached-only) cached_only=1 ;;  # Print the cache dir if built, else exit 3.
  "") ;;
  *) echo "usage: build.sh [--verify | --cached-only]" >&2; exit 2 ;;
esac

for tool in ${cross}gcc flex bison bc make; do
  command -v "$tool" >/dev/null || {
    echo "build.sh: missing $tool (apt-get install -y linux-source-6.1 gcc-riscv64-linux-gnu flex bison bc)" >&2
    exit 1
  }
done
[[ -f "$src_tar" ]] || { echo "build.sh: missing $src_tar (apt-get install -y linux-source-6.1)" >&2; exit 1; }

# Bump when the build steps below change what ends up in the cache; edits to
# comments or to the --verify/--cached-only plumbing then keep the cache.
recipe_version=1
key="$( (echo "recipe=$recipe_version"; cat "$here/kernel.config" "$here/init.c"; \
         stat -c %s "$src_tar"; ${cross}gcc --version | head -1) | sha256sum | cut -c1-16)"
out="$cache_root/$key"
if [[ $cached_only == 1 ]]; then
  [[ -f "$out/Image" && -f "$out/init.cpio" ]] || exit 3
  echo "$out"
  exit 0
fi

if [[ ! -f "$out/Image" || ! -f "$out/init.cpio" ]]; then
  start=$(date +%s)
  work="$cache_root/work-$key"
  rm -rf "$work" && mkdir -p "$work"
  echo "build.sh: unpacking $src_tar" >&2
  tar -C "$work" -xf "$src_tar"
  ksrc="$(echo "$work"/linux-source-6.1*)"
  kmake() { nice -n 19 make -C "$ksrc" ARCH=riscv CROSS_COMPILE=$cross -j"$jobs" "$@"; }
  kmake tinyconfig >&2
  "$ksrc/scripts/kconfig/merge_config.sh" -m -O "$ksrc" "$ksrc/.config" "$here/kernel.config" >&2
  kmake olddefconfig >&2
  # Fail loudly if Kconfig dropped an option we asked for (a missing
  # dependency would otherwise silently produce a kernel that does not boot).
  missing=0
  while IFS= read -r line; do
    [[ "$line" =~ ^CONFIG_[A-Z0-9_]+=y$ ]] || continue
    grep -qx "$line" "$ksrc/.config" || { echo "build.sh: Kconfig dropped $line" >&2; missing=1; }
  done < "$here/kernel.config"
  [[ $missing == 0 ]] || exit 1
  kmake Image >&2

  # The initramfs: a static init plus /dev/console (the kernel opens it for
  # init's stdio before any devtmpfs mount).
  ${cross}gcc -static -O2 -Wall -Werror -o "$work/init" "$here/init.c"
  gcc -O2 -o "$work/gen_init_cpio" "$ksrc/usr/gen_init_cpio.c"
  cat > "$work/cpio.list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $work/init 0755 0 0
LIST
  "$work/gen_init_cpio" "$work/cpio.list" > "$work/init.cpio"

  mkdir -p "$out.tmp"
  cp "$ksrc/arch/riscv/boot/Image" "$work/init.cpio" "$out.tmp/"
  cp "$ksrc/.config" "$out.tmp/kernel.config"
  echo "build_seconds=$(( $(date +%s) - start ))" > "$out.tmp/build-info"
  rm -rf "$out" && mv "$out.tmp" "$out"
  rm -rf "$work"
  echo "build.sh: built in $(( $(date +%s) - start ))s" >&2
fi

if [[ $verify == 1 ]]; then
  fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
  log="$out/qemu-verify.log"
  timeout 300 qemu-system-riscv64 -M virt -bios "$fw" -kernel "$out/Image" \
    -initrd "$out/init.cpio" -append console=ttyS0 -nographic -smp 2 -m 256 \
    </dev/null >"$log" 2>&1 || true
  grep -q "VMM-RISCV-INIT-MARKER nproc=2" "$log" || {
    echo "build.sh: qemu verify failed, see $log" >&2; exit 1; }
  echo "build.sh: qemu verify ok (marker with nproc=2)" >&2
fi
echo "$out"
