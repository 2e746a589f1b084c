#!/usr/bin/env bash
# Builds a tiny busybox initramfs for Linux *guest* tests (issue 3): Debian's
# stock kernel boots it inside our VMM (or QEMU, for comparison) and its init
# reports on the serial console, in this order:
#
#   <marker>                  (default GUEST-INIT-OK; the boot-time probe)
#   guest-acpid: ready        (unless --no-acpid; see below)
#   nproc=<N>                 CPUs the guest kernel brought up
#   mem_total_kb=<N>          from /proc/meminfo
#   ... output of --script, if given (run with /bin/sh, cwd /)
#   guest-init: <action>      just before the final action
#
# then powers off (default), reboots, or hangs (--then).
# Like a distro with acpid/logind, the guest powers off when its ACPI power
# button is pressed (the host's graceful StopVm): init loads the kernel's
# button and evdev modules and runs busybox acpid, printing
#   guest-acpid: ready                          once it listens, and
#   guest-acpid: power button, powering off     on a press.
# --no-acpid leaves the button unhandled (a guest that ignores StopVm).
#
#   build.sh OUT.cpio [--init-marker STR] [--script FILE]
#            [--then poweroff|reboot|hang] [--gzip]
#            [--no-acpid] [--acpid-kernel VERSION]
#
# --acpid-kernel picks /lib/modules/VERSION (default: the newest there; it
# must match the kernel the guest boots).
#
# Needs busybox-static and cpio (tools/setup.sh). The archive is newc cpio,
# uncompressed unless --gzip (Debian's kernel takes either).
set -euo pipefail

usage() { sed -n '2,29p' "$0" >&2; exit 2; }

out=""
marker="GUEST-INIT-OK"
script=""
then_action="poweroff"
compress=0
acpid=1
acpid_kver=""
while [ $# -gt 0 ]; do
  case "$1" in
    --init-marker) marker="${2?--init-marker needs a value}"; shift 2 ;;
    --init-marker=*) marker="${1#*=}"; shift ;;
    --script) script="${2?--script needs a file}"; shift 2 ;;
    --script=*) script="${1#*=}"; shift ;;
    --then) then_action="${2?--then needs a value}"; shift 2 ;;
    --then=*) then_action="${1#*=}"; shift ;;
    --gzip) compress=1; shift ;;
    --no-acpid) acpid=0; shift ;;
    --acpid) acpid=1; shift ;;
    --acpid-kernel) acpid_kver="${2?--acpid-kernel needs a version}"; shift 2 ;;
    --acpid-kernel=*) acpid_kver="${1#*=}"; shift ;;
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

# ACPI power button -> poweroff (see the header). Both drivers are modules
# in Debian's kernel: button turns the fixed-feature PWRBTN event into
# KEY_POWER, evdev gives acpid its /dev/input/event*.
if [ "$acpid" = 1 ]; then
  [ -n "$acpid_kver" ] || acpid_kver="$(ls /lib/modules 2>/dev/null | sort -V | tail -1)"
  mkdir -p "$root/lib/acpid" "$root/etc/acpi/PWRF"
  for m in drivers/acpi/button.ko drivers/input/evdev.ko; do
    f="/lib/modules/$acpid_kver/kernel/$m"
    [ -r "$f" ] || { echo "build.sh: $f missing (--acpid-kernel, or --no-acpid)" >&2; exit 1; }
    cp "$f" "$root/lib/acpid/"
  done
  # busybox acpid maps KEY_POWER to "PWRF/00000080" and runs that file
  # from its config directory.
  cat > "$root/etc/acpi/PWRF/00000080" <<'HANDLER'
#!/bin/sh
echo "guest-acpid: power button, powering off" > /dev/console
sync
poweroff -f
HANDLER
  chmod 755 "$root/etc/acpi/PWRF/00000080"
fi

cat > "$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs dev /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sys /sys
exec </dev/console >/dev/console 2>&1
echo "$marker"
if [ -d /lib/acpid ]; then
  insmod /lib/acpid/evdev.ko && insmod /lib/acpid/button.ko &&
    acpid -d -c /etc/acpi >/dev/null 2>&1 &
  # acpid opens the event devices at start: wait until it is up.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    [ -e /dev/input/event0 ] && pidof acpid >/dev/null && break
    sleep 0.2
  done
  pidof acpid >/dev/null && echo "guest-acpid: ready" || echo "guest-acpid: failed to start"
fi
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
