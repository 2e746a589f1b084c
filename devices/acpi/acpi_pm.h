#ifndef DEVICES_ACPI_ACPI_PM_H_
#define DEVICES_ACPI_ACPI_PM_H_

#include <cstdint>

#include "devices/bus/bus.h"
#include "devices/legacy/power_control.h"

namespace vmm {

// The registers a hardware-reduced ACPI platform has instead of PM1 blocks
// (ACPI 6.4 §4.8.3.7-8 and §4.8.3.6), three bytes of port I/O:
//   +0 sleep control: writing SLP_EN (bit 5) with SLP_TYP (bits 4:2) = 5,
//      the S5 type our DSDT declares, powers off.
//   +1 sleep status: reads 0 (WAK_STS never set: we do not resume).
//   +2 reset register: writing kResetValue reboots (FADT RESET_REG).
class AcpiPmDevice : public BusDevice {
 public:
  static constexpr uint64_t kSize = 3;
  static constexpr uint8_t kResetValue = 0x01;
  static constexpr uint8_t kS5SleepType = 5;

  explicit AcpiPmDevice(PowerActionHandler handler) : handler_(std::move(handler)) {}

  absl::string_view name() const override { return "acpi_pm"; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

 private:
  const PowerActionHandler handler_;
};

}  // namespace vmm

#endif  // DEVICES_ACPI_ACPI_PM_H_
