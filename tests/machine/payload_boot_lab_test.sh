#!/bin/bash
# Runs payload_boot_test a second time inside tools/kvmlab, where /dev/kvm is
# the hardware-model kvm_amd (nested under TCG) instead of this host's
# kvm_pvm: the machine must behave the same on both KVMs.
set -u
cd "${TEST_SRCDIR:-$(dirname "$0")/../..}/vmm" 2>/dev/null || cd "$(dirname "$0")/../.."
LAB="$PWD/tools/kvmlab/kvmlab"
if [ ! -x "$LAB" ]; then
  echo "FAIL: kvmlab not found at $LAB"
  exit 1
fi
exec "$LAB" run --timeout 600 --cpus 2 -- "$PWD/tests/machine/payload_boot_test"
