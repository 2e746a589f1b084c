#ifndef VMM_FDT_DTC_TESTUTIL_H_
#define VMM_FDT_DTC_TESTUTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vmm {

// Whether an executable exists at `path`.
bool HaveTool(const std::string& path);

// Runs `command` through /bin/sh and returns its stdout; fails on a nonzero
// exit status.
absl::StatusOr<std::string> RunCommand(const std::string& command);

// Decompiles `dtb` with `dtc -I dtb -O dts` (stderr captured too: dtc's
// warnings are part of what tests check). Writes a temp file under TEST_TMPDIR.
absl::StatusOr<std::string> DtbToDts(const std::vector<uint8_t>& dtb, std::string* warnings);

}  // namespace vmm

#endif  // VMM_FDT_DTC_TESTUTIL_H_
