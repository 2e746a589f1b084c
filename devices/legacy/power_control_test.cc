#include "devices/legacy/power_control.h"

#include <vector>

#include "devices/bus/bus.h"
#include "devices/legacy/i8042.h"
#include "gtest/gtest.h"

namespace vmm {
namespace {

uint8_t In(Bus& bus, uint64_t port) {
  uint8_t v = 0;
  bus.Read(port, absl::MakeSpan(&v, 1));
  return v;
}
void Out(Bus& bus, uint64_t port, uint8_t v) { bus.Write(port, absl::MakeConstSpan(&v, 1)); }

TEST(PowerControlTest, CommandsAndStatus) {
  std::vector<GuestPowerAction> actions;
  auto dev = std::make_shared<PowerControl>([&](GuestPowerAction a) { actions.push_back(a); });
  Bus bus("pio");
  ASSERT_TRUE(bus.Register(PowerControl::kDefaultPort, 1, dev).ok());
  EXPECT_EQ(In(bus, 0x600), 0);
  dev->RequestPowerOff();
  EXPECT_EQ(In(bus, 0x600), 1);
  Out(bus, 0x600, 7);  // Ignored.
  Out(bus, 0x600, 2);
  Out(bus, 0x600, 1);
  EXPECT_EQ(actions, (std::vector<GuestPowerAction>{GuestPowerAction::kReboot,
                                                    GuestPowerAction::kPowerOff}));
}

TEST(I8042Test, ResetCommandReboots) {
  std::vector<GuestPowerAction> actions;
  I8042 kbc([&](GuestPowerAction a) { actions.push_back(a); });
  Bus bus("pio");
  ASSERT_TRUE(bus.Register(I8042::kDataPort, 1, kbc.data_port()).ok());
  ASSERT_TRUE(bus.Register(I8042::kCommandPort, 1, kbc.command_port()).ok());
  EXPECT_EQ(In(bus, 0x64) & 0x01, 0);  // Output buffer empty.
  Out(bus, 0x64, 0x60);
  Out(bus, 0x60, 0x45);
  Out(bus, 0x64, 0x20);
  EXPECT_EQ(In(bus, 0x64) & 0x01, 1);
  EXPECT_EQ(In(bus, 0x60), 0x45);
  EXPECT_TRUE(actions.empty());
  Out(bus, 0x64, 0xfe);
  EXPECT_EQ(actions, (std::vector<GuestPowerAction>{GuestPowerAction::kReboot}));
}

}  // namespace
}  // namespace vmm
