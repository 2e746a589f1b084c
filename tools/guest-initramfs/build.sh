#!/usr/bin/env bash
# Builds a tiny busybox initramfs for Linux *guest* tests (issue 3): Debian's
# stock kernel boots it inside our VMM (or QEMU, for comparison) and its init
# reports on the serial console, in this order:
#
#   modules: ...              with --modules: what insmod said for each
#   <marker>                  (default GUEST-INIT-OK; the boot-time probe)
#   nproc=<N>                 CPUs the guest kernel brought up
#   mem_total_kb=<N>          from /proc/meminfo
#   ... output of --script, if given (run with /bin/sh, cwd /)
#   guest-init: <action>      just before the final action
#
# then powers off (default), reboots, or hangs (--then).
#
#   build.sh OUT.cpio [--init-marker STR] [--script FILE]
#            [--then poweroff|reboot|hang] [--gzip]
#            [--modules m1,m2,...] [--kernel-version VER]
#            [--binaries /sbin/mke2fs,...]
#
# --modules: kernel modules (e.g. virtio_pci,virtio_blk,ext4,crc32c_generic)
#   with their dependencies from /lib/modules/VER/modules.dep, decompressed
#   (busybox insmod takes plain .ko) and loaded in dependency order before
#   the marker. VER defaults to the newest /boot/vmlinuz-* with modules.
# --binaries: host programs copied to /usr/bin with their shared libraries
#   (ldd), e.g. mke2fs for mkfs.ext4 inside the guest.
# Needs busybox-static and cpio (tools/setup.sh); xz/zstd for compressed
# modules. The archive is newc cpio, uncompressed unless --gzip (Debian's
# kernel takes either).
set -euo pipefail

usage() { sed -n '2,30p' "$0" >&2; exit 2; }

out=""
marker="GUEST-INIT-OK"
script=""
then_action="poweroff"
compress=0
modules=""
kver=""
binaries=""
while [ $# -gt 0 ]; do
  case "$1" in
    --init-marker) marker="${2?--init-marker needs a value}"; shift 2 ;;
    --init-marker=*) marker="${1#*=}"; shift ;;
    --script) script="${2?--script needs a file}"; shift 2 ;;
    --script=*) script="${1#*=}"; shift ;;
    --then) then_action="${2?--then needs a value}"; shift 2 ;;
    --then=*) then_action="${1#*=}"; shift ;;
    --gzip) compress=1; shift ;;
    --modules) modules="${2?--modules needs a list}"; shift 2 ;;
    --modules=*) modules="${1#*=}"; shift ;;
    --kernel-version) kver="${2?--kernel-version needs a value}"; shift 2 ;;
    --kernel-version=*) kver="${1#*=}"; shift ;;
    --binaries) binaries="${2?--binaries needs a list}"; shift 2 ;;
    --binaries=*) binaries="${1#*=}"; shift ;;
    -h|--help) usage ;;
    -*) echo "build.sh: unknown option $1" >&2; usage ;;
    *) [ -z "$out" ] || usage; out="$1"; shift ;;
  esac
done
[ -n "$out" ] || usage
case "$then_action" in poweroff|reboot|hang) ;; *)
  echo "build.sh: --then $then_action: must be poweroff, reboot or hang" >&2
  exit 2 ;;
esac
case "$marker" in *[!A-Za-z0-9._:=+-]*|"")
  echo "build.sh: --init-marker '$marker': use [A-Za-z0-9._:=+-] only" >&2
  exit 2 ;;
esac
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] && command -v cpio >/dev/null || {
  echo "build.sh: needs busybox-static and cpio (tools/setup.sh)" >&2; exit 1; }
if ! file -L "$BUSYBOX" 2>/dev/null | grep -q "statically linked" &&
   ldd "$BUSYBOX" >/dev/null 2>&1; then
  echo "build.sh: $BUSYBOX is dynamically linked; install busybox-static" >&2
  exit 1
fi
[ -z "$script" ] || [ -r "$script" ] || {
  echo "build.sh: --script $script: cannot be read" >&2; exit 1; }

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc}
cp "$BUSYBOX" "$root/bin/busybox"
# The kernel needs /dev/console in the archive to give init a stdout before
# devtmpfs is mounted; mknod needs root, so it is written with cpio's own
# entry when we are not root (see below).
[ -z "$script" ] || cp "$script" "$root/script"

# Modules: resolve the dependency closure, load order = dependencies first.
if [ -n "$modules" ]; then
  if [ -z "$kver" ]; then
    for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -V); do
      v="${k#/boot/vmlinuz-}"
      [ -f "/lib/modules/$v/modules.dep" ] && kver="$v"
    done
  fi
  dep="/lib/modules/$kver/modules.dep"
  [ -n "$kver" ] && [ -f "$dep" ] || {
    echo "build.sh: --modules: no /lib/modules/<version>/modules.dep (give --kernel-version)" >&2
    exit 1; }
  mod_path() {  # module name -> path in modules.dep ('-' and '_' alike)
    local want="${1//-/_}"
    awk -F: -v w="$want" '{ n=$1; sub(/.*\//, "", n); sub(/\.ko(\.(xz|zst|gz))?$/, "", n);
      gsub(/-/, "_", n); if (n == w) { print $1; exit } }' "$dep"
  }
  order=()
  declare -A seen=()
  visit() {  # path [depth]
    local p="$1" d="${2:-0}"
    [ -z "${seen[$p]:-}" ] || return 0
    [ "$d" -lt 64 ] || { echo "build.sh: module dependency loop at $p" >&2; exit 1; }
    seen[$p]=1
    local deps
    deps="$(awk -F: -v p="$p" '$1 == p { print $2; exit }' "$dep")"
    local list=($deps) i
    for ((i=${#list[@]}-1; i>=0; i--)); do visit "${list[$i]}" $((d+1)); done
    order+=("$p")
  }
  IFS=, read -r -a wanted <<< "$modules"
  for m in "${wanted[@]}"; do
    p="$(mod_path "$m")"
    [ -n "$p" ] || { echo "build.sh: kernel $kver has no module $m" >&2; exit 1; }
    visit "$p"
  done
  mkdir -p "$root/modules"
  : > "$root/modules/order"
  for p in "${order[@]}"; do
    full="/lib/modules/$kver/$p"
    base="$(basename "$p")"; base="${base%.xz}"; base="${base%.zst}"; base="${base%.gz}"
    case "$p" in
      *.xz) xz -dc "$full" > "$root/modules/$base" ;;
      *.zst) zstd -qdc "$full" > "$root/modules/$base" ;;
      *.gz) gzip -dc "$full" > "$root/modules/$base" ;;
      *) cp "$full" "$root/modules/$base" ;;
    esac
    echo "$base" >> "$root/modules/order"
  done
fi

# Binaries with their shared libraries, at the same paths as on the host.
if [ -n "$binaries" ]; then
  IFS=, read -r -a bins <<< "$binaries"
  for b in "${bins[@]}"; do
    src="$(PATH="$PATH:/usr/sbin:/sbin" command -v "$b" || true)"
    [ -n "$src" ] && [ -x "$src" ] || { echo "build.sh: --binaries: $b not found" >&2; exit 1; }
    # /usr/bin, first in PATH: busybox --install would shadow /bin/mke2fs.
    mkdir -p "$root/usr/bin"
    cp -L "$src" "$root/usr/bin/$(basename "$src")"
    for lib in $(ldd "$src" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  done
fi

cat > "$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/bin:/bin
mount -t devtmpfs dev /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sys /sys
exec </dev/console >/dev/console 2>&1
if [ -f /modules/order ]; then
  loaded=""
  for m in \$(cat /modules/order); do
    if insmod /modules/\$m 2>/tmp/insmod.err; then loaded="\$loaded \${m%.ko}";
    else echo "insmod \$m failed: \$(cat /tmp/insmod.err)"; fi
  done
  echo "modules:\$loaded"
fi
echo "$marker"
echo "nproc=\$(nproc)"
echo "mem_total_kb=\$(awk '/^MemTotal:/ {print \$2}' /proc/meminfo)"
if [ -f /script ]; then
  cd / && /bin/sh /script
  echo "script_rc=\$?"
fi
echo "guest-init: $then_action"
case "$then_action" in
  poweroff) poweroff -f ;;
  reboot) reboot -f ;;
  hang) while :; do sleep 3600; done ;;
esac
# poweroff/reboot -f only return on failure; init must never exit.
echo "guest-init: $then_action failed"
while :; do sleep 3600; done
INIT
chmod 755 "$root/init" "$root/bin/busybox"
[ -z "$script" ] || chmod 755 "$root/script"

tmp_out="$out.tmp.$$"
(
  cd "$root"
  if [ "$(id -u)" = 0 ]; then
    mknod -m 600 dev/console c 5 1
  fi
  find . | LC_ALL=C sort | cpio -o -H newc --quiet --owner=0:0
) > "$tmp_out"
if [ "$compress" = 1 ]; then
  gzip -9 -n < "$tmp_out" > "$tmp_out.gz" && mv "$tmp_out.gz" "$tmp_out"
fi
mv "$tmp_out" "$out"
echo "build.sh: wrote $out ($(stat -c %s "$out") bytes, marker $marker)" >&2
