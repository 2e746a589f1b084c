#!/bin/bash
# Builds the fixture (or reuses the cache) and, when qemu-system-riscv64 is
# installed, boots it as a reference to the init marker with nproc=2.
set -euo pipefail
script="$(dirname "$0")/build.sh"
args=()
command -v qemu-system-riscv64 >/dev/null && args=(--verify)
"$script" "${args[@]}"
