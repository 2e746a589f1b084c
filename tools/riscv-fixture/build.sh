#!/bin/bash
# Builds the riscv64 test fixture: a minimal Linux `Image` from Debian's
# linux-source-6.1 (tinyconfig + kernel.config) and an initramfs `init.cpio`
# holding a static test init (init/*.c, its modes chosen on the kernel command
# line: see README.md). Cached outside the repo under $VMM_RISCV_FIXTURE_CACHE:
# the kernel in kernel-<key of recipe, config, source tarball size, compiler>,
# the fixture directory <key of kernel key + init sources> with Image (hard
# link), init.cpio and kernel.config, so a second run is instant and an init
# change rebuilds only the init. Prints the fixture directory on stdout (last
# line).
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

# The kernel and the initramfs are cached separately: an init change costs
# seconds (one cross gcc run), not a kernel build. Bump kernel_recipe /
# init_recipe when the build steps below change what ends up in the cache;
# edits to comments or to the --verify/--cached-only plumbing keep the cache.
kernel_recipe=1
init_recipe=2
cc_version="$(${cross}gcc --version | head -1)"
kkey="$( (echo "recipe=$kernel_recipe"; cat "$here/kernel.config"; \
          stat -c %s "$src_tar"; echo "$cc_version") | sha256sum | cut -c1-16)"
ikey="$( (echo "recipe=$init_recipe"; cat "$here/mkcpio.py"; cd "$here/init" && \
          for f in $(ls *.c *.h | LC_ALL=C sort); do echo "== $f"; cat "$f"; done; \
          echo "$cc_version") | sha256sum | cut -c1-16)"
kdir="$cache_root/kernel-$kkey"
# The directory the tests use: Image + init.cpio + kernel.config side by side.
out="$cache_root/$(echo "$kkey $ikey" | sha256sum | cut -c1-16)"
if [[ $cached_only == 1 ]]; then
  [[ -f "$out/Image" && -f "$out/init.cpio" ]] || exit 3
  echo "$out"
  exit 0
fi
mkdir -p "$cache_root"

if [[ ! -f "$kdir/Image" ]]; then
  start=$(date +%s)
  work="$cache_root/work-kernel-$kkey"
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
  mkdir -p "$kdir.tmp"
  cp "$ksrc/arch/riscv/boot/Image" "$kdir.tmp/"
  cp "$ksrc/.config" "$kdir.tmp/kernel.config"
  echo "build_seconds=$(( $(date +%s) - start ))" > "$kdir.tmp/build-info"
  rm -rf "$kdir" && mv "$kdir.tmp" "$kdir"
  rm -rf "$work"
  echo "build.sh: kernel built in $(( $(date +%s) - start ))s" >&2
fi

if [[ ! -f "$out/Image" || ! -f "$out/init.cpio" ]]; then
  # The initramfs: the static test init (init/*.c) plus /dev/console (the
  # kernel opens it for init's stdio before init mounts devtmpfs).
  work="$(mktemp -d "$cache_root/work-init.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  ${cross}gcc -static -O2 -Wall -Wextra -Werror -pthread -o "$work/init" "$here"/init/*.c
  cat > "$work/cpio.list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $work/init 0755 0 0
LIST
  python3 "$here/mkcpio.py" "$work/cpio.list" > "$work/init.cpio"
  mkdir -p "$out.tmp"
  # A hard link: the kernel is stored once however many inits use it.
  ln -f "$kdir/Image" "$out.tmp/Image" 2>/dev/null || cp "$kdir/Image" "$out.tmp/Image"
  cp "$kdir/kernel.config" "$out.tmp/kernel.config"
  cp "$work/init.cpio" "$out.tmp/"
  echo "kernel=$kdir" > "$out.tmp/build-info"
  rm -rf "$out" && mv "$out.tmp" "$out"
  echo "build.sh: initramfs built" >&2
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
