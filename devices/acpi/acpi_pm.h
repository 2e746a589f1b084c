#ifndef DEVICES_ACPI_ACPI_PM_H_
#define DEVICES_ACPI_ACPI_PM_H_

#include <array>
#include <cstdint>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "devices/bus/bus.h"
#include "devices/irq/interrupt_line.h"
#include "devices/legacy/power_control.h"

namespace vmm {

// ACPI fixed hardware for a PC guest, 7 bytes of port I/O (ACPI 6.4 §4.8):
//   +0 PM1a_STS (2 bytes, write 1 to clear): PWRBTN_STS (bit 8) is set when
//      the host presses the power button.
//   +2 PM1a_EN (2 bytes): PWRBTN_EN (bit 8); the SCI is asserted (a level,
//      ACPI 6.4 §4.8.2.1) while STS & EN has a supported event in it.
//   +4 PM1a_CNT (2 bytes): SCI_EN (bit 0) always reads 1 - the platform is
//      in ACPI mode from the start, so there is no SMI_CMD handshake;
//      writing SLP_EN (bit 13) with SLP_TYP (bits 12:10) = 5, the S5 type our
//      DSDT declares, powers off.
//   +6 the FADT RESET_REG: writing kResetValue reboots.
// Not hardware-reduced ACPI on purpose: Linux treats a hardware-reduced
// platform as having no 8259 and no ISA IRQs, so the legacy COM1 IRQ 4 would
// never be mapped.
class AcpiPmDevice : public BusDevice {
 public:
  static constexpr uint64_t kSize = 7;
  static constexpr uint64_t kPm1EventOffset = 0;
  static constexpr uint64_t kPm1EnableOffset = 2;
  static constexpr uint64_t kPm1ControlOffset = 4;
  static constexpr uint64_t kResetOffset = 6;
  static constexpr uint8_t kResetValue = 0x01;
  static constexpr uint16_t kS5SleepType = 5;
  static constexpr uint16_t kSciEnable = 1u << 0;
  static constexpr uint16_t kSleepEnable = 1u << 13;
  static constexpr uint16_t kPowerButton = 1u << 8;  // PWRBTN_STS / PWRBTN_EN.

  // `sci` may be null (no interrupt wired: the button then only sets STS).
  AcpiPmDevice(PowerActionHandler handler, std::shared_ptr<InterruptLine> sci = nullptr)
      : handler_(std::move(handler)), sci_(std::move(sci)) {}

  absl::string_view name() const override { return "acpi_pm"; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

  // Host side: a press of the fixed-feature power button (ACPI 6.4
  // §4.8.2.2.1.1). The guest's OSPM sees it if it enabled PWRBTN_EN.
  void PressPowerButton();

 private:
  uint16_t Reg16(size_t off) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<uint16_t>(regs_[off] | (regs_[off + 1] << 8));
  }
  // Drives the SCI from STS & EN; called after every change to either.
  void UpdateSci() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const PowerActionHandler handler_;
  const std::shared_ptr<InterruptLine> sci_;
  absl::Mutex mu_;
  // PM1 status, enable, control as little-endian bytes.
  std::array<uint8_t, 6> regs_ ABSL_GUARDED_BY(mu_) = {0, 0, 0, 0, kSciEnable, 0};
  bool sci_level_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace vmm

#endif  // DEVICES_ACPI_ACPI_PM_H_
