#include "vmm/machine/x86/boot_write.h"

#include "absl/strings/str_cat.h"

namespace vmm {

absl::Status WriteBootBytes(GuestMemory* memory, uint64_t addr, absl::Span<const uint8_t> data,
                            absl::string_view what) {
  absl::Status s = memory->Write(GuestAddress(addr), data);
  if (!s.ok()) return absl::InternalError(absl::StrCat("writing the ", what, ": ", s.message()));
  return absl::OkStatus();
}

}  // namespace vmm
