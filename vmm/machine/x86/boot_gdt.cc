#include "vmm/machine/x86/boot_gdt.h"

#include "absl/types/span.h"
#include "vmm/machine/x86/boot_write.h"
#include "vmm/machine/x86/x86_layout.h"

namespace vmm {

absl::Status WriteBootGdt(GuestMemory* memory) {
  return WriteBootBytes(
      memory, x86_layout::kGdtAddress,
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(kBootGdt), sizeof(kBootGdt)),
      "boot GDT");
}

}  // namespace vmm
