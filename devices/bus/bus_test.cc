#include "devices/bus/bus.h"

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace vmm {
namespace {

// Remembers the last access; reads return the offset in every byte.
class ProbeDevice : public BusDevice {
 public:
  explicit ProbeDevice(std::string name) : name_(std::move(name)) {}
  absl::string_view name() const override { return name_; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override {
    last_offset = offset;
    for (auto& b : data) b = static_cast<uint8_t>(offset);
    ++reads;
  }
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override {
    last_offset = offset;
    last_write.assign(data.begin(), data.end());
    ++writes;
  }
  std::atomic<uint64_t> last_offset{0};
  std::vector<uint8_t> last_write;
  std::atomic<int> reads{0}, writes{0};

 private:
  std::string name_;
};

TEST(BusTest, DispatchesWithOffsetRelativeToBase) {
  Bus bus("pio");
  auto dev = std::make_shared<ProbeDevice>("uart");
  ASSERT_TRUE(bus.Register(0x3f8, 8, dev).ok());
  uint8_t b = 0;
  EXPECT_TRUE(bus.Read(0x3fd, absl::MakeSpan(&b, 1)));
  EXPECT_EQ(dev->last_offset, 5u);
  EXPECT_EQ(b, 5);
  const uint8_t w[2] = {0xaa, 0xbb};
  EXPECT_TRUE(bus.Write(0x3f8, absl::MakeConstSpan(w, 2)));
  EXPECT_EQ(dev->last_offset, 0u);
  EXPECT_EQ(dev->last_write, (std::vector<uint8_t>{0xaa, 0xbb}));
}

TEST(BusTest, UnclaimedReadsAllOnesAndWritesDropped) {
  Bus bus("mmio");
  auto dev = std::make_shared<ProbeDevice>("dev");
  ASSERT_TRUE(bus.Register(0x1000, 0x10, dev).ok());
  uint32_t v = 0;
  EXPECT_FALSE(bus.Read(0x2000, absl::MakeSpan(reinterpret_cast<uint8_t*>(&v), 4)));
  EXPECT_EQ(v, 0xffffffffu);
  // Straddling the end of a range is unclaimed too, never a partial access.
  EXPECT_FALSE(bus.Read(0x100e, absl::MakeSpan(reinterpret_cast<uint8_t*>(&v), 4)));
  EXPECT_EQ(v, 0xffffffffu);
  const uint8_t w = 1;
  EXPECT_FALSE(bus.Write(0xfff, absl::MakeConstSpan(&w, 1)));
  EXPECT_EQ(dev->reads, 0);
  EXPECT_EQ(dev->writes, 0);
}

TEST(BusTest, RejectsOverlaps) {
  Bus bus("pio");
  ASSERT_TRUE(bus.Register(0x60, 1, std::make_shared<ProbeDevice>("a")).ok());
  ASSERT_TRUE(bus.Register(0x64, 1, std::make_shared<ProbeDevice>("b")).ok());
  auto status = bus.Register(0x5f, 2, std::make_shared<ProbeDevice>("c"));
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(status.message().find("overlaps a"), std::string::npos) << status;
  EXPECT_FALSE(bus.Register(0x61, 4, std::make_shared<ProbeDevice>("d")).ok());
  EXPECT_FALSE(bus.Register(0x64, 1, std::make_shared<ProbeDevice>("e")).ok());
  EXPECT_TRUE(bus.Register(0x61, 3, std::make_shared<ProbeDevice>("f")).ok());
  EXPECT_FALSE(bus.Register(0x10, 0, std::make_shared<ProbeDevice>("g")).ok());
  EXPECT_FALSE(bus.Register(UINT64_MAX, 2, std::make_shared<ProbeDevice>("h")).ok());
  EXPECT_TRUE(bus.Register(UINT64_MAX, 1, std::make_shared<ProbeDevice>("i")).ok());
}

TEST(BusTest, ConcurrentDispatch) {
  Bus bus("mmio");
  auto dev = std::make_shared<ProbeDevice>("dev");
  ASSERT_TRUE(bus.Register(0xd0000000, 0x1000, dev).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        uint32_t v;
        bus.Read(0xd0000000 + (i % 0x100) * 4, absl::MakeSpan(reinterpret_cast<uint8_t*>(&v), 4));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(dev->reads, 4000);
}

}  // namespace
}  // namespace vmm
