#include "devices/acpi/acpi_pm.h"

#include <optional>

namespace vmm {

void AcpiPmDevice::Read(uint64_t offset, absl::Span<uint8_t> data) {
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < data.size(); ++i) {
    uint64_t o = offset + i;
    data[i] = o < regs_.size() ? regs_[o] : 0;
  }
}

void AcpiPmDevice::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  std::optional<GuestPowerAction> action;
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < data.size(); ++i) {
      uint64_t o = offset + i;
      if (o < 2) {
        regs_[o] &= static_cast<uint8_t>(~data[i]);  // PM1_STS: write 1 to clear.
      } else if (o < 4) {
        // PM1_EN keeps every bit, as QEMU's does: ACPICA reads GBL_EN back
        // and logs an error when it does not stick. Only the power button
        // ever sets a status bit, so only it can raise the SCI.
        regs_[o] = data[i];
      } else if (o == 4) {
        regs_[o] = static_cast<uint8_t>(data[i] | kSciEnable);
      } else if (o == 5) {
        // SLP_EN is write-only and reads 0 (ACPI 6.4 table 4.14).
        regs_[o] = static_cast<uint8_t>(data[i] & ~(kSleepEnable >> 8));
        const uint16_t written = static_cast<uint16_t>(data[i]) << 8;
        const uint16_t type = (written >> 10) & 0x7;
        if ((written & kSleepEnable) && type == kS5SleepType) {
          action = GuestPowerAction::kPowerOff;
        }
      } else if (o == kResetOffset && data[i] == kResetValue) {
        action = GuestPowerAction::kReboot;
      }
    }
    UpdateSci();
  }
  if (action.has_value()) handler_(*action);
}

void AcpiPmDevice::PressPowerButton() {
  absl::MutexLock lock(&mu_);
  regs_[kPm1EventOffset + 1] |= kPowerButton >> 8;
  UpdateSci();
}

void AcpiPmDevice::UpdateSci() {
  const bool level = (Reg16(kPm1EventOffset) & Reg16(kPm1EnableOffset) & kPowerButton) != 0;
  if (level == sci_level_) return;
  sci_level_ = level;
  // Under mu_, so two vCPUs racing on STS/EN cannot leave the line stale.
  if (sci_ != nullptr) sci_->SetLevel(level);
}

}  // namespace vmm
