#include "devices/acpi/acpi_pm.h"

#include <vector>

#include "gtest/gtest.h"

namespace vmm {
namespace {

TEST(AcpiPmDeviceTest, S5WritePowersOffResetReboots) {
  std::vector<GuestPowerAction> actions;
  AcpiPmDevice dev([&](GuestPowerAction a) { actions.push_back(a); });
  const uint8_t s5 = (5 << 2) | 0x20;  // What Linux's acpi_hw_extended_sleep writes.
  dev.Write(0, absl::MakeConstSpan(&s5, 1));
  const uint8_t reset = AcpiPmDevice::kResetValue;
  dev.Write(2, absl::MakeConstSpan(&reset, 1));
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0], GuestPowerAction::kPowerOff);
  EXPECT_EQ(actions[1], GuestPowerAction::kReboot);
}

TEST(AcpiPmDeviceTest, OtherWritesAreIgnored) {
  int calls = 0;
  AcpiPmDevice dev([&](GuestPowerAction) { ++calls; });
  for (uint8_t v : {uint8_t{5 << 2}, uint8_t{(3 << 2) | 0x20}, uint8_t{0xff & ~0x20}}) {
    dev.Write(0, absl::MakeConstSpan(&v, 1));
  }
  const uint8_t bad_reset = 0x06;
  dev.Write(2, absl::MakeConstSpan(&bad_reset, 1));
  dev.Write(1, absl::MakeConstSpan(&bad_reset, 1));
  dev.Write(0, absl::Span<const uint8_t>());
  EXPECT_EQ(calls, 0);
  uint8_t status = 0xff;
  dev.Read(1, absl::MakeSpan(&status, 1));
  EXPECT_EQ(status, 0);
}

}  // namespace
}  // namespace vmm
