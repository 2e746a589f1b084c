// The device models registered on one MMIO bus at the `virt` addresses the
// device tree advertises: the sizes agree, nothing overlaps, and a PLIC
// input wired like the UART's (IRQ 10) reaches hart 0's S-mode context
// through real bus accesses.
#include <unistd.h>

#include <memory>

#include "devices/bus/bus.h"
#include "devices/riscv/clint.h"
#include "devices/riscv/plic.h"
#include "devices/riscv/sifive_test.h"
#include "gtest/gtest.h"
#include "vmm/fdt/riscv_virt_fdt.h"

namespace vmm {
namespace {

using namespace riscv_virt;  // NOLINT

TEST(VirtLayoutTest, DevicesAtDeviceTreeAddresses) {
  static_assert(Clint::kSize == kClintSize, "CLINT window matches the DT");
  static_assert(Plic::kSize == kPlicSize, "PLIC window matches the DT");
  static_assert(SifiveTest::kSize == kTestSize, "finisher window matches the DT");
  static_assert(Clint::kTimebaseHz == kTimebaseHz, "timebase matches the DT");

  std::vector<HartInterruptPins> pins;
  std::vector<std::shared_ptr<RecordingInterruptLine>> seip;
  for (int i = 0; i < 2; ++i) {
    seip.push_back(std::make_shared<RecordingInterruptLine>());
    pins.push_back({std::make_shared<RecordingInterruptLine>(),
                    std::make_shared<RecordingInterruptLine>(),
                    std::make_shared<RecordingInterruptLine>(), seip.back()});
  }
  auto clint = Clint::Create(pins);
  ASSERT_TRUE(clint.ok());
  auto plic = Plic::Create(kPlicNumSources, pins);
  ASSERT_TRUE(plic.ok());
  bool powered_off = false;
  auto test = std::make_shared<SifiveTest>(
      [&](SifiveTest::Event e, uint16_t) { powered_off = e == SifiveTest::Event::kPass; });

  Bus bus("mmio");
  ASSERT_TRUE(bus.Register(kClintBase, kClintSize, std::move(*clint)).ok());
  ASSERT_TRUE(bus.Register(kPlicBase, kPlicSize, *plic).ok());
  ASSERT_TRUE(bus.Register(kTestBase, kTestSize, test).ok());

  auto w32 = [&](uint64_t addr, uint32_t v) {
    uint8_t b[4] = {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
    return bus.Write(addr, absl::MakeConstSpan(b, 4));
  };
  auto r32 = [&](uint64_t addr) {
    uint8_t b[4] = {};
    bus.Read(addr, absl::MakeSpan(b, 4));
    return b[0] | b[1] << 8 | b[2] << 16 | uint32_t{b[3]} << 24;
  };

  auto uart_irq = (*plic)->Input(kUartIrq);
  ASSERT_TRUE(uart_irq.ok());
  ASSERT_TRUE(w32(kPlicBase + 4 * kUartIrq, 1));
  ASSERT_TRUE(w32(kPlicBase + Plic::kEnableBase + Plic::kEnableStride * 1, 1u << kUartIrq));
  (*uart_irq)->SetLevel(true);
  EXPECT_TRUE(seip[0]->level());
  EXPECT_EQ(r32(kPlicBase + Plic::kContextBase + Plic::kContextStride * 1 + 4), kUartIrq);

  uint32_t t0 = r32(kClintBase + Clint::kMtime);
  usleep(1000);
  EXPECT_NE(r32(kClintBase + Clint::kMtime), t0);

  ASSERT_TRUE(w32(kTestBase, 0x5555));
  EXPECT_TRUE(powered_off);
}

}  // namespace
}  // namespace vmm
