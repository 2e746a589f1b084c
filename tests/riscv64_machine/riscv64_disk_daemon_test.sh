#!/bin/bash
# A riscv64 guest's virtio-blk disk survives a guest reboot, through the real
# daemon and API (vmmd + vmctl, accel auto -> TCG, 1 vCPU):
#   boot 1: the fixture init (vmmtest=disk, tools/riscv-fixture/init/disk.c)
#     writes 8 MiB of a seeded pattern to /dev/vda, fsync, a header with its
#     sha256, prints it and reboots -> the VM stays RUNNING, boot_count 2;
#   boot 2: the init reads the data back with O_DIRECT, checks the sha256
#     and every byte against the regenerated pattern, powers off -> SHUTOFF /
#     GUEST_SHUTDOWN;
#   host: the image file's data bytes hash to the guest's sha256 and to
#     init_ref.py's (hashlib) for the seed, and the header names both.
# The seed is random per run. Skips (passes) without the fixture, OpenSBI,
# or under a sanitizer build (a Linux boot under ASan outruns the budget).
set -u
. "$(dirname "$0")/fixture_lib.sh"
R="${TEST_SRCDIR:-}/vmm"
[ -d "$R/api" ] || R="$(cd "$(dirname "$0")/../.." && pwd)/bazel-bin"
REF="$(dirname "$0")/../../tools/riscv-fixture/init_ref.py"
BIN="$R"
rv_fixture_or_skip "$BIN/vmm/worker/vmm-worker"
WORK="${TEST_TMPDIR:-$(mktemp -d /tmp/rv_disk.XXXXXX)}"
MIB=8
SEED=$(( (RANDOM << 30) ^ (RANDOM << 15) ^ RANDOM ))
val() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" | head -1; }
VMMD="$BIN/api/vmmd" WORKER="$BIN/vmm/worker/vmm-worker" VMCTL="$BIN/tools/vmctl/vmctl"
. "$(dirname "$0")/../linux/daemon_helpers.sh"
start_vmmd

IMG="$WORK/disk.img"
rm -f "$IMG" && truncate -s 16M "$IMG"
vmctl create rvdisk --arch riscv64 --vcpus 1 --memory-mib 256 --kernel "$FIX/Image" \
  --initrd "$FIX/init.cpio" --disk "path=$IMG" \
  --cmdline "console=ttyS0 earlycon=sbi vmmtest=disk vmmseed=$SEED vmmmib=$MIB" >/dev/null \
  || fail "create rvdisk"
t0=$SECONDS
vmctl start rvdisk >/dev/null || fail "start rvdisk"
attach_console rvdisk

if wait_console rvdisk "^VMM-DISK-WRITTEN" 200; then
  line=$(grep -a "^VMM-DISK-WRITTEN" "$WORK/rvdisk.console" | head -1)
  pass "boot 1 wrote after $((SECONDS - t0)) s: $line"
else
  fail "no VMM-DISK-WRITTEN; console tail: $(tail -c 800 "$WORK/rvdisk.console")"
fi
guest_sha=$(grep -a "^VMM-DISK-WRITTEN" "$WORK/rvdisk.console" | head -1 | val sha256 | tr -d '\r')

if wait_console rvdisk "^VMM-DISK-VERIFIED" 200; then
  line=$(grep -a "^VMM-DISK-VERIFIED" "$WORK/rvdisk.console" | head -1 | tr -d '\r')
  if grep -q "ok=1 .*sha256=$guest_sha .*mismatched_bytes=0" <<<"$line"; then
    pass "boot 2 verified: $line"
  else
    fail "boot 2: $line"
  fi
else
  fail "no VMM-DISK-VERIFIED (reboot -> restart?); state=$(status_of rvdisk state) boot_count=$(status_of rvdisk boot_count); console tail: $(tail -c 800 "$WORK/rvdisk.console")"
fi
n=$(grep -ac "^VMM-RISCV-INIT-MARKER" "$WORK/rvdisk.console")
[ "$n" = 2 ] && pass "two boots on the console" || fail "$n init markers on the console, want 2"

if wait_state rvdisk SHUTOFF 90 && [ "$(status_of rvdisk reason)" = GUEST_SHUTDOWN ]; then
  pass "guest poweroff -> SHUTOFF/GUEST_SHUTDOWN after $((SECONDS - t0)) s"
else
  fail "poweroff: state=$(status_of rvdisk state) reason=$(status_of rvdisk reason) msg=$(status_of rvdisk message)"
  grep -v unclaimed_access "$WORK/vmmd.log" | tail -5 | cut -c1-300
fi
bc=$(status_of rvdisk boot_count)
[ "$bc" = 2 ] && pass "guest reboot restarted the machine: boot_count 2" || fail "boot_count '$bc', want 2"

# The host's view of the image, independent of the guest.
file_sha=$(dd if="$IMG" bs=4096 skip=1 count=$((MIB * 256)) 2>/dev/null | sha256sum | cut -c1-64)
ref_sha=$(python3 "$REF" pattern-sha256 "$SEED" "$MIB")
if [ -n "$guest_sha" ] && [ "$file_sha" = "$guest_sha" ] && [ "$ref_sha" = "$guest_sha" ]; then
  pass "image bytes: sha256 $file_sha = guest's = reference for seed $SEED"
else
  fail "image sha256 $file_sha, guest '$guest_sha', reference $ref_sha (seed $SEED)"
fi
header=$(head -c 200 "$IMG" | tr -d '\0' | head -1)
[ "$header" = "VMMDISK1 seed=$SEED bytes=$((MIB << 20)) sha256=$ref_sha" ] \
  && pass "image header: $header" || fail "image header '$header'"
[ $failures -eq 0 ] && echo PASS || echo "$failures failure(s)"
exit $((failures > 0))
