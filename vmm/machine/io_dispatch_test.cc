// Feeds hand-made exits (no kernel needed) through DispatchIoExit to real
// buses and devices.
#include "vmm/machine/io_dispatch.h"

#include <string>
#include <vector>

#include "devices/legacy/uart16550.h"
#include "devices/testdev/test_mmio_device.h"
#include "gtest/gtest.h"

namespace vmm {
namespace {

class IoDispatchTest : public ::testing::Test {
 protected:
  IoDispatchTest()
      : uart_(std::make_shared<Uart16550>(
            nullptr, [this](absl::string_view s) { out_.append(s.data(), s.size()); })),
        testdev_(std::make_shared<TestMmioDevice>(2)) {
    EXPECT_TRUE(pio_.Register(0x3f8, 8, uart_).ok());
    EXPECT_TRUE(mmio_.Register(0xd0000000, 0x1000, testdev_).ok());
  }
  std::string out_;
  std::shared_ptr<Uart16550> uart_;
  std::shared_ptr<TestMmioDevice> testdev_;
  Bus pio_{"pio"};
  Bus mmio_{"mmio"};
};

TEST_F(IoDispatchTest, StringOutputIsSplitIntoAccesses) {
  std::vector<uint8_t> data = {'a', 'b', 'c'};
  VcpuExit exit;
  exit.kind = VcpuExit::Kind::kIoOut;
  exit.address = 0x3f8;
  exit.size = 1;
  exit.count = 3;
  exit.data = absl::MakeSpan(data);
  EXPECT_TRUE(DispatchIoExit(exit, &pio_, &mmio_));
  EXPECT_EQ(out_, "abc");
}

TEST_F(IoDispatchTest, CountLargerThanDataIsClamped) {
  std::vector<uint8_t> data = {'x', 'y'};
  VcpuExit exit;
  exit.kind = VcpuExit::Kind::kIoOut;
  exit.address = 0x3f8;
  exit.size = 1;
  exit.count = 1000;
  exit.data = absl::MakeSpan(data);
  EXPECT_TRUE(DispatchIoExit(exit, &pio_, &mmio_));
  EXPECT_EQ(out_, "xy");
}

TEST_F(IoDispatchTest, PortReadFillsDataAndUnclaimedIsAllOnes) {
  std::vector<uint8_t> data(2, 0);
  VcpuExit exit;
  exit.kind = VcpuExit::Kind::kIoIn;
  exit.address = 0x3fd;  // LSR
  exit.size = 1;
  exit.count = 1;
  exit.data = absl::MakeSpan(data.data(), 1);
  EXPECT_TRUE(DispatchIoExit(exit, &pio_, &mmio_));
  EXPECT_EQ(data[0], 0x60);
  exit.address = 0x1234;
  exit.size = 2;
  exit.data = absl::MakeSpan(data);
  EXPECT_TRUE(DispatchIoExit(exit, &pio_, &mmio_));
  EXPECT_EQ(data, (std::vector<uint8_t>{0xff, 0xff}));
  EXPECT_TRUE(DispatchIoExit(exit, nullptr, &mmio_));
}

TEST_F(IoDispatchTest, MmioReadAndWrite) {
  uint8_t data[4] = {0x78, 0x56, 0x34, 0x12};
  VcpuExit exit;
  exit.kind = VcpuExit::Kind::kMmioWrite;
  exit.address = 0xd0000008;
  exit.size = 4;
  exit.data = absl::MakeSpan(data);
  EXPECT_TRUE(DispatchIoExit(exit, &pio_, &mmio_));
  EXPECT_EQ(testdev_->scratch(), 0x12345678u);
  exit.kind = VcpuExit::Kind::kMmioRead;
  exit.address = 0xd0000004;
  EXPECT_TRUE(DispatchIoExit(exit, &pio_, &mmio_));
  EXPECT_EQ(data[0], 2);
}

TEST_F(IoDispatchTest, NonIoExitsAreNotHandled) {
  VcpuExit exit;
  exit.kind = VcpuExit::Kind::kShutdown;
  EXPECT_FALSE(DispatchIoExit(exit, &pio_, &mmio_));
  exit.kind = VcpuExit::Kind::kIoOut;
  exit.size = 0;  // Malformed: ignored, never divided by.
  EXPECT_TRUE(DispatchIoExit(exit, &pio_, &mmio_));
}

}  // namespace
}  // namespace vmm
