#!/bin/bash
# Checks the cached riscv64 fixture, if one was built for the current script,
# config and init (tools/riscv-fixture/build.sh). Skips (passes) otherwise:
# the build takes many minutes and is the job of :build_test (manual).
set -euo pipefail
script="$(dirname "$0")/build.sh"
[[ -f "$script" ]] || script="tools/riscv-fixture/build.sh"
rc=0
dir="$("$script" --cached-only 2>/dev/null)" || rc=$?
if [[ $rc != 0 ]]; then
  echo "SKIP: no cached fixture (rc=$rc); run tools/riscv-fixture/build.sh"
  exit 0
fi
fail() { echo "FAIL: $*"; exit 1; }
# RISC-V Linux Image header (Documentation/riscv/boot-image-header.rst):
# magic "RISCV\0\0\0" at 48 and magic2 "RSC\x05" at 56.
[[ "$(dd if="$dir/Image" bs=1 skip=48 count=5 2>/dev/null)" == "RISCV" ]] || fail "Image magic"
[[ "$(dd if="$dir/Image" bs=1 skip=56 count=3 2>/dev/null)" == "RSC" ]] || fail "Image magic2"
# newc cpio with our /init in it.
[[ "$(head -c 6 "$dir/init.cpio")" == "070701" ]] || fail "init.cpio is not newc"
grep -aq "VMM-RISCV-INIT-MARKER" "$dir/init.cpio" || fail "init marker missing from cpio"
for line in VMM-DISK-VERIFIED VMM-LITMUS-DONE VMM-COMPUTE-START; do
  grep -aq "$line" "$dir/init.cpio" || fail "init in cpio lacks the mode printing $line"
done
grep -q "^CONFIG_SMP=y" "$dir/kernel.config" || fail "kernel config lacks SMP"
echo "PASS: $dir"
