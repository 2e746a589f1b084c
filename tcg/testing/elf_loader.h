#ifndef TCG_TESTING_ELF_LOADER_H_
#define TCG_TESTING_ELF_LOADER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tcg/testing/flat_memory.h"

namespace tcg::testing {

struct LoadedElf {
  uint64_t entry = 0;
  uint64_t lowest = 0;   // lowest loaded address
  uint64_t highest = 0;  // one past the highest loaded byte
};

// Loads a static little-endian ELF64 executable for `machine` (EM_*) into
// `mem` by physical address: every PT_LOAD segment is checked against the
// file and against RAM, then copied, with its .bss part zeroed. The image
// is untrusted input: a malformed file is an error, never a crash.
absl::StatusOr<LoadedElf> LoadElf(absl::Span<const uint8_t> image, uint16_t machine,
                                  FlatMemory& mem);

// Reads a whole file (test data).
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace tcg::testing

#endif  // TCG_TESTING_ELF_LOADER_H_
