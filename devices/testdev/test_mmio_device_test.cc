#include "devices/testdev/test_mmio_device.h"

#include "devices/bus/bus.h"
#include "gtest/gtest.h"

namespace vmm {
namespace {

uint32_t Read32(Bus& bus, uint64_t addr) {
  uint32_t v = 0;
  bus.Read(addr, absl::MakeSpan(reinterpret_cast<uint8_t*>(&v), 4));
  return v;
}

TEST(TestMmioDeviceTest, RegistersThroughTheBus) {
  Bus bus("mmio");
  auto dev = std::make_shared<TestMmioDevice>(3);
  ASSERT_TRUE(bus.Register(TestMmioDevice::kDefaultBase, TestMmioDevice::kSize, dev).ok());
  const uint64_t base = TestMmioDevice::kDefaultBase;
  EXPECT_EQ(Read32(bus, base + 0), 0x444d4d56u);
  EXPECT_EQ(Read32(bus, base + 4), 3u);
  uint32_t w = 0xcafef00d;
  bus.Write(base + 8, absl::MakeConstSpan(reinterpret_cast<uint8_t*>(&w), 4));
  EXPECT_EQ(Read32(bus, base + 8), 0xcafef00du);
  EXPECT_EQ(dev->scratch(), 0xcafef00du);
  // Four accesses so far; this read is the fifth.
  EXPECT_EQ(Read32(bus, base + 0xc), 5u);
  EXPECT_EQ(Read32(bus, base + 0x800), 0u);
}

TEST(TestMmioDeviceTest, NarrowAccesses) {
  TestMmioDevice dev(1);
  uint8_t b = 0;
  dev.Read(1, absl::MakeSpan(&b, 1));
  EXPECT_EQ(b, 0x4d);
  dev.Read(3, absl::MakeSpan(&b, 1));
  EXPECT_EQ(b, 0x44);
  const uint8_t hi = 0x12;
  dev.Write(0xb, absl::MakeConstSpan(&hi, 1));
  EXPECT_EQ(dev.scratch(), 0x12000000u);
  // A write to a read-only register changes nothing.
  uint32_t w = 7;
  dev.Write(4, absl::MakeConstSpan(reinterpret_cast<uint8_t*>(&w), 4));
  uint32_t v = 0;
  dev.Read(4, absl::MakeSpan(reinterpret_cast<uint8_t*>(&v), 4));
  EXPECT_EQ(v, 1u);
}

}  // namespace
}  // namespace vmm
