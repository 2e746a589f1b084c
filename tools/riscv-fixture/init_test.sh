#!/bin/bash
# The fixture init's modes run as a normal process under qemu-riscv64 user
# mode (skips without it), checked against init_ref.py (hashlib):
#   compute: the digest for 1 and 4 threads equals the reference;
#   disk: on a file, run 1 writes the pattern + header, run 2 verifies ok=1,
#     the file's data bytes hash to the reference; a flipped byte fails run 3;
#   litmus: a short run reports every test, with forbidden=0 (QEMU's TCG);
#   an unknown mode and a bad number are reported, not crashed on.
set -u
here="$(dirname "$0")"
INIT="$here/init_riscv64"
REF="$here/init_ref.py"
if ! command -v qemu-riscv64 >/dev/null; then
  echo "skipped: qemu-riscv64 (apt qemu-user) missing"
  exit 0
fi
W="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
run() { VMM_INIT_CMDLINE="$1" qemu-riscv64 "$INIT"; }
val() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" | head -1; }

seed=$((RANDOM * 32768 + RANDOM))
for t in 1 4; do
  out=$(run "vmmtest=compute vmmmib=2 vmmthreads=$t vmmseed=$seed")
  got=$(grep '^VMM-COMPUTE ' <<<"$out" | val digest)
  want=$(python3 "$REF" compute-digest "$seed" 2 "$t")
  [ -n "$got" ] && [ "$got" = "$want" ] && grep -q "sorted_ok=1" <<<"$out" \
    && pass "compute threads=$t digest $got" || fail "compute threads=$t: '$got' != '$want': $out"
done

img="$W/disk.img"
rm -f "$img"; truncate -s 4M "$img"
out=$(run "vmmtest=disk vmmdisk=$img vmmmib=2 vmmseed=$seed")
sha=$(grep '^VMM-DISK-WRITTEN' <<<"$out" | val sha256)
want=$(python3 "$REF" pattern-sha256 "$seed" 2)
file_sha=$(dd if="$img" bs=4096 skip=1 count=512 2>/dev/null | sha256sum | cut -c1-64)
[ "$sha" = "$want" ] && [ "$file_sha" = "$want" ] && pass "disk written, file bytes match" \
  || fail "disk write: printed '$sha' file '$file_sha' reference '$want': $out"
head -c 9 "$img" | grep -q "VMMDISK1 " && pass "disk header" || fail "no header"
out=$(run "vmmtest=disk vmmdisk=$img vmmmib=2 vmmseed=$seed")
grep -q "^VMM-DISK-VERIFIED ok=1 .*mismatched_bytes=0" <<<"$out" && pass "disk verified" \
  || fail "disk verify: $out"
printf '\xff' | dd of="$img" bs=1 seek=$((4096 + 12345)) conv=notrunc 2>/dev/null
out=$(run "vmmtest=disk vmmdisk=$img vmmmib=2 vmmseed=$seed")
grep -q "^VMM-DISK-VERIFIED ok=0 .*first_bad=12345" <<<"$out" && pass "corrupted byte found" \
  || fail "corruption not detected: $out"

out=$(run "vmmtest=litmus vmmiters=1000")
n=$(grep -c '^VMM-LITMUS test=' <<<"$out")
grep -q "^VMM-LITMUS-DONE tests=17 iters=17000 forbidden=0" <<<"$out" && [ "$n" = 17 ] \
  && pass "litmus: 17 tests, none forbidden" || fail "litmus: $out"

out=$(run "vmmtest=nonesuch")
grep -q "VMM-INIT-ERROR vmmtest=nonesuch: unknown mode" <<<"$out" && pass "unknown mode named" \
  || fail "unknown mode: $out"
out=$(run "vmmtest=nonesuch,compute vmmmib=1")
grep -q "VMM-INIT-DONE mode=nonesuch rc=2" <<<"$out" && grep -q "VMM-INIT-DONE mode=compute rc=0" <<<"$out" \
  && pass "a list of modes runs in order" || fail "mode list: $out"
out=$(run "vmmtest=compute vmmmib=x1")
grep -q "VMM-INIT-ERROR vmmmib=x1: must be a number" <<<"$out" && pass "bad number named" \
  || fail "bad number: $out"
[ $failures -eq 0 ] && echo PASS || echo "$failures failure(s)"
exit $((failures > 0))
