#include "devices/acpi/acpi_pm.h"

#include <algorithm>

namespace vmm {

void AcpiPmDevice::Read(uint64_t /*offset*/, absl::Span<uint8_t> data) {
  std::fill(data.begin(), data.end(), 0);
}

void AcpiPmDevice::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  if (data.empty()) return;
  const uint8_t v = data[0];
  if (offset == 0) {
    const bool enable = (v & 0x20) != 0;
    const uint8_t type = (v >> 2) & 0x7;
    if (enable && type == kS5SleepType) handler_(GuestPowerAction::kPowerOff);
    // Other sleep states (S1-S4) are not offered in the DSDT; ignore.
  } else if (offset == 2 && v == kResetValue) {
    handler_(GuestPowerAction::kReboot);
  }
}

}  // namespace vmm
