#include "vmm/machine/x86/boot_gdt.h"

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "vmm/machine/x86/x86_layout.h"

namespace vmm {

absl::Status WriteBootGdt(GuestMemory* memory) {
  absl::Status s =
      memory->Write(GuestAddress(x86_layout::kGdtAddress),
                    absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(kBootGdt), sizeof(kBootGdt)));
  if (!s.ok()) return absl::InternalError(absl::StrCat("writing the boot GDT: ", s.message()));
  return absl::OkStatus();
}

}  // namespace vmm
