#include "devices/acpi/acpi_pm.h"

#include <vector>

#include "gtest/gtest.h"

namespace vmm {
namespace {

void Write16(AcpiPmDevice& dev, uint64_t off, uint16_t v) {
  uint8_t b[2] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
  dev.Write(off, absl::MakeConstSpan(b, 2));
}
uint16_t Read16(AcpiPmDevice& dev, uint64_t off) {
  uint8_t b[2] = {0xff, 0xff};
  dev.Read(off, absl::MakeSpan(b, 2));
  return static_cast<uint16_t>(b[0] | (b[1] << 8));
}

TEST(AcpiPmDeviceTest, S5WritePowersOffResetReboots) {
  std::vector<GuestPowerAction> actions;
  AcpiPmDevice dev([&](GuestPowerAction a) { actions.push_back(a); });
  // What ACPICA's acpi_hw_legacy_sleep does: SLP_TYP first, then with SLP_EN.
  Write16(dev, AcpiPmDevice::kPm1ControlOffset, (5 << 10) | 1);
  EXPECT_TRUE(actions.empty());
  Write16(dev, AcpiPmDevice::kPm1ControlOffset, (5 << 10) | (1 << 13) | 1);
  const uint8_t reset = AcpiPmDevice::kResetValue;
  dev.Write(AcpiPmDevice::kResetOffset, absl::MakeConstSpan(&reset, 1));
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0], GuestPowerAction::kPowerOff);
  EXPECT_EQ(actions[1], GuestPowerAction::kReboot);
}

TEST(AcpiPmDeviceTest, AcpiModeAndIgnoredWrites) {
  int calls = 0;
  AcpiPmDevice dev([&](GuestPowerAction) { ++calls; });
  // SCI_EN reads 1 (already in ACPI mode), even after the guest clears it.
  EXPECT_EQ(Read16(dev, AcpiPmDevice::kPm1ControlOffset) & 1, 1);
  Write16(dev, AcpiPmDevice::kPm1ControlOffset, 0);
  EXPECT_EQ(Read16(dev, AcpiPmDevice::kPm1ControlOffset) & 1, 1);
  // S3 (type 3) is not offered: ignored. Wrong reset value: ignored.
  Write16(dev, AcpiPmDevice::kPm1ControlOffset, (3 << 10) | (1 << 13));
  const uint8_t bad_reset = 0x06;
  dev.Write(AcpiPmDevice::kResetOffset, absl::MakeConstSpan(&bad_reset, 1));
  dev.Write(100, absl::MakeConstSpan(&bad_reset, 1));  // Out of range.
  EXPECT_EQ(calls, 0);
  // SLP_EN is write-only; PM1 enable keeps what was written.
  EXPECT_EQ(Read16(dev, AcpiPmDevice::kPm1ControlOffset) & (1 << 13), 0);
  Write16(dev, 2, 0x0100);
  EXPECT_EQ(Read16(dev, 2), 0x0100);
}

}  // namespace
}  // namespace vmm
