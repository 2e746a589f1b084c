#include "devices/riscv/sifive_test.h"

#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace vmm {
namespace {

using Event = SifiveTest::Event;

struct Recorder {
  std::vector<std::pair<Event, uint16_t>> events;
  SifiveTest device{[this](Event e, uint16_t code) { events.push_back({e, code}); }};
  void Write32(uint64_t off, uint32_t v) {
    uint8_t b[4] = {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
    device.Write(off, absl::MakeConstSpan(b, 4));
  }
};

TEST(SifiveTestTest, PassFailReset) {
  Recorder r;
  r.Write32(0, 0x5555);
  r.Write32(0, (42u << 16) | 0x3333);
  r.Write32(0, 0x7777);
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.events[0], std::make_pair(Event::kPass, uint16_t{0}));
  EXPECT_EQ(r.events[1], std::make_pair(Event::kFail, uint16_t{42}));
  EXPECT_EQ(r.events[2], std::make_pair(Event::kReset, uint16_t{0}));
}

// OpenSBI's driver uses 16-bit writes (writew): status only.
TEST(SifiveTestTest, HalfwordWritesCarryTheStatus) {
  Recorder r;
  uint8_t pass[2] = {0x55, 0x55}, reset[2] = {0x77, 0x77};
  r.device.Write(0, absl::MakeConstSpan(pass, 2));
  r.device.Write(0, absl::MakeConstSpan(reset, 2));
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0], std::make_pair(Event::kPass, uint16_t{0}));
  EXPECT_EQ(r.events[1], std::make_pair(Event::kReset, uint16_t{0}));
}

TEST(SifiveTestTest, HostileAccessesIgnored) {
  Recorder r;
  r.Write32(4, 0x5555);             // Wrong offset.
  r.Write32(0, 0x1234);             // Unknown status.
  r.Write32(0xfffffffffffull, 0x5555);
  uint8_t b[8] = {0x55, 0x55};
  r.device.Write(0, absl::MakeConstSpan(b, 1));  // Wrong sizes.
  r.device.Write(0, absl::MakeConstSpan(b, 8));
  r.device.Write(0, absl::Span<const uint8_t>());
  EXPECT_TRUE(r.events.empty());
  uint8_t out[4] = {1, 2, 3, 4};
  r.device.Read(0, absl::MakeSpan(out, 4));
  EXPECT_EQ(out[0] | out[1] | out[2] | out[3], 0);
}

}  // namespace
}  // namespace vmm
