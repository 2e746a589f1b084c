// libFuzzer entry point (built by run_fuzz.sh with clang).
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/blk_fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return vmm::fuzz::BlkFuzzOneInput(data, size);
}
