#!/bin/bash
# Builds tests/fuzz/blk_fuzzer with clang (libFuzzer + ASan + UBSan) and runs
# it for a bounded time over a copy of the seed corpus.
#   tests/fuzz/run_fuzz.sh SECONDS [extra libFuzzer flags...]
# Needs clang-14 with libclang_rt.fuzzer, liburing-dev and libabsl-dev.
set -euo pipefail
SECONDS_TO_RUN="${1:-30}"
shift || true
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CXX="${CXX_FUZZ:-$(command -v clang++-14 || command -v clang++)}"
OUT="${FUZZ_OUT:-${TEST_TMPDIR:-/tmp}/blk_fuzz}"
mkdir -p "$OUT/corpus"
cp -n "$ROOT"/tests/fuzz/corpus/* "$OUT/corpus/" 2>/dev/null || true

SRCS=(
  tests/fuzz/blk_fuzzer.cc tests/fuzz/blk_fuzz_entry.cc
  vmm/base/errno_status.cc vmm/base/fd.cc vmm/base/log.cc
  vmm/memory/guest_memory.cc
  devices/virtio/queue/buffer_slice.cc devices/virtio/queue/descriptor_chain.cc
  devices/virtio/queue/split_queue.cc
  devices/virtio/core/transport_core.cc devices/virtio/mmio/mmio_transport.cc
  devices/virtio/block/block_device.cc devices/virtio/block/block_worker.cc
  devices/virtio/block/disk_image.cc devices/virtio/block/request.cc
  devices/virtio/block/uring_engine.cc
)
PKGS="absl_status absl_statusor absl_strings absl_str_format absl_synchronization absl_flat_hash_map liburing"
BIN="$OUT/blk_fuzzer"
# Rebuild only when a source is newer than the binary.
if [[ ! -x "$BIN" ]] || [[ -n "$(cd "$ROOT" && find "${SRCS[@]}" devices vmm/base vmm/memory tests/fuzz -name '*.h' -newer "$BIN" 2>/dev/null | head -1)" ]] \
   || [[ -n "$(cd "$ROOT" && find "${SRCS[@]}" -newer "$BIN" | head -1)" ]]; then
  echo "building $BIN with $CXX"
  (cd "$ROOT" && "$CXX" -std=c++17 -O1 -g -fno-omit-frame-pointer \
      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -I. $(pkg-config --cflags $PKGS) "${SRCS[@]}" \
      $(pkg-config --libs $PKGS) -lpthread -o "$BIN")
fi
echo "fuzzing for ${SECONDS_TO_RUN}s"
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}" \
UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
  "$BIN" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$OUT/" -print_final_stats=1 "$@" "$OUT/corpus"
