#include "vmm/machine/x86/long_mode_boot.h"

#include <vector>

#include "absl/types/span.h"
#include "vmm/base/status_macros.h"
#include "vmm/machine/x86/boot_write.h"
#include "vmm/machine/x86/x86_layout.h"

namespace vmm {
namespace {

namespace xl = x86_layout;

// Page-table entry bits (Intel SDM vol. 3 §4.5, tables 4-15 to 4-18).
constexpr uint64_t kPtePresent = 1, kPteWrite = 2, kPtePageSize = 0x80;
constexpr uint64_t kPdCount = kIdentityMapBytes >> 30;  // One PD maps 1 GiB.

static_assert(xl::kPdAddress + kPdCount * 4096 <= xl::kCmdlineAddress,
              "the page directories run into the command line");
static_assert(xl::kPml4Address >= xl::kZeroPageAddress + 4096,
              "the page tables overlap boot_params");

absl::Span<const uint8_t> Bytes(const std::vector<uint64_t>& v) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(v.data()), v.size() * 8);
}

}  // namespace

absl::Status WriteIdentityMap(GuestMemory* memory) {
  // PML4[0] -> PDPT; PDPT[0..3] -> 4 PDs; 2048 2 MiB pages = [0, 4 GiB).
  std::vector<uint64_t> pml4(512, 0), pdpt(512, 0), pd(kPdCount * 512, 0);
  pml4[0] = xl::kPdptAddress | kPtePresent | kPteWrite;
  for (uint64_t i = 0; i < kPdCount; ++i) {
    pdpt[i] = (xl::kPdAddress + i * 4096) | kPtePresent | kPteWrite;
  }
  for (uint64_t i = 0; i < pd.size(); ++i) {
    pd[i] = (i << 21) | kPtePresent | kPteWrite | kPtePageSize;
  }
  RETURN_IF_ERROR(WriteBootBytes(memory, xl::kPml4Address, Bytes(pml4), "PML4"));
  RETURN_IF_ERROR(WriteBootBytes(memory, xl::kPdptAddress, Bytes(pdpt), "PDPT"));
  return WriteBootBytes(memory, xl::kPdAddress, Bytes(pd), "page directories");
}

absl::Status WriteLongModeGdt(GuestMemory* memory) {
  return WriteBootBytes(
      memory, xl::kGdtAddress,
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(kLongModeGdt), sizeof(kLongModeGdt)),
      "long-mode GDT");
}

}  // namespace vmm
