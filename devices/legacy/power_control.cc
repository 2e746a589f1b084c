#include "devices/legacy/power_control.h"

#include <algorithm>

namespace vmm {

void PowerControl::Read(uint64_t offset, absl::Span<uint8_t> data) {
  std::fill(data.begin(), data.end(), 0);
  if (offset == 0 && !data.empty() && power_off_requested_.load()) {
    data[0] = kStatusPowerOffRequested;
  }
}

void PowerControl::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  if (offset != 0 || data.empty() || !handler_) return;
  switch (data[0]) {
    case kCmdPowerOff:
      handler_(GuestPowerAction::kPowerOff);
      break;
    case kCmdReboot:
      handler_(GuestPowerAction::kReboot);
      break;
    default:
      break;  // Reserved values do nothing, so a stray write is harmless.
  }
}

}  // namespace vmm
