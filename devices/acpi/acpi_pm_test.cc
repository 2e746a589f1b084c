#include "devices/acpi/acpi_pm.h"

#include <memory>
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

// What Linux's ACPICA and button driver do with a press: PWRBTN_EN set at
// handler install, the SCI handler reads STS & EN, clears STS by writing 1.
TEST(AcpiPmDeviceTest, PowerButtonRaisesSciUntilAcknowledged) {
  auto sci = std::make_shared<RecordingInterruptLine>();
  int calls = 0;
  AcpiPmDevice dev([&](GuestPowerAction) { ++calls; }, sci);
  // Pressed before the OSPM enabled it: status only, no interrupt.
  dev.PressPowerButton();
  EXPECT_EQ(Read16(dev, AcpiPmDevice::kPm1EventOffset), AcpiPmDevice::kPowerButton);
  EXPECT_FALSE(sci->level());
  // Enabling with the status pending raises the SCI at once (level).
  Write16(dev, AcpiPmDevice::kPm1EnableOffset, AcpiPmDevice::kPowerButton);
  EXPECT_TRUE(sci->level());
  // Writing 0 to STS changes nothing; writing 1 acknowledges.
  Write16(dev, AcpiPmDevice::kPm1EventOffset, 0);
  EXPECT_TRUE(sci->level());
  Write16(dev, AcpiPmDevice::kPm1EventOffset, AcpiPmDevice::kPowerButton);
  EXPECT_FALSE(sci->level());
  EXPECT_EQ(Read16(dev, AcpiPmDevice::kPm1EventOffset), 0);
  // A second press while enabled: a second rising edge; disabling drops it.
  dev.PressPowerButton();
  EXPECT_TRUE(sci->level());
  EXPECT_EQ(sci->rising_edges(), 2);
  Write16(dev, AcpiPmDevice::kPm1EnableOffset, 0);
  EXPECT_FALSE(sci->level());
  // Other enables (timer, global lock, RTC) stick but never raise the SCI:
  // those events do not exist here. The button never powers off by itself.
  Write16(dev, AcpiPmDevice::kPm1EnableOffset, 0xffff & ~AcpiPmDevice::kPowerButton);
  EXPECT_EQ(Read16(dev, AcpiPmDevice::kPm1EnableOffset), 0xffff & ~AcpiPmDevice::kPowerButton);
  EXPECT_FALSE(sci->level());
  EXPECT_EQ(calls, 0);
}

// Without a wired SCI (payload boot) the button is a status bit only.
TEST(AcpiPmDeviceTest, PowerButtonWithoutSciLine) {
  AcpiPmDevice dev([](GuestPowerAction) {});
  Write16(dev, AcpiPmDevice::kPm1EnableOffset, AcpiPmDevice::kPowerButton);
  dev.PressPowerButton();
  EXPECT_EQ(Read16(dev, AcpiPmDevice::kPm1EventOffset), AcpiPmDevice::kPowerButton);
}

}  // namespace
}  // namespace vmm
