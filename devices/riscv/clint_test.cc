#include "devices/riscv/clint.h"

#include <unistd.h>

#include <atomic>
#include <memory>

#include "gtest/gtest.h"

namespace vmm {
namespace {

struct Fixture {
  std::atomic<uint64_t> now_ns{1000000000};
  std::vector<std::shared_ptr<RecordingInterruptLine>> msip, mtip;
  std::unique_ptr<Clint> clint;

  explicit Fixture(int harts) {
    std::vector<HartInterruptPins> pins;
    for (int i = 0; i < harts; ++i) {
      msip.push_back(std::make_shared<RecordingInterruptLine>());
      mtip.push_back(std::make_shared<RecordingInterruptLine>());
      pins.push_back({msip.back(), mtip.back(), nullptr, nullptr});
    }
    auto c = Clint::Create(pins, [this] { return now_ns.load(); });
    EXPECT_TRUE(c.ok()) << c.status();
    clint = std::move(*c);
  }
  uint64_t Read(uint64_t off, size_t size) {
    uint8_t b[8];
    std::fill(b, b + 8, 0xff);
    clint->Read(off, absl::MakeSpan(b, size));
    uint64_t v = 0;
    for (size_t i = 0; i < size; ++i) v |= uint64_t{b[i]} << (8 * i);
    return v;
  }
  void Write(uint64_t off, uint64_t v, size_t size) {
    uint8_t b[8];
    for (size_t i = 0; i < 8; ++i) b[i] = uint8_t(v >> (8 * i));
    clint->Write(off, absl::MakeConstSpan(b, size));
  }
};

TEST(ClintTest, MtimeTicksAt10MHzFromTheClock) {
  Fixture f(1);
  uint64_t t0 = f.Read(Clint::kMtime, 8);
  f.now_ns += 1000000;  // 1 ms = 10000 ticks.
  EXPECT_EQ(f.Read(Clint::kMtime, 8), t0 + 10000);
  // 32-bit halves.
  f.Write(Clint::kMtime, 0x0000000500000007ull, 8);
  EXPECT_EQ(f.Read(Clint::kMtime, 4), 7u);
  EXPECT_EQ(f.Read(Clint::kMtime + 4, 4), 5u);
  f.Write(Clint::kMtime + 4, 9, 4);
  EXPECT_EQ(f.Read(Clint::kMtime, 8), 0x0000000900000007ull);
}

TEST(ClintTest, RealMonotonicClockAdvances) {
  std::vector<HartInterruptPins> pins = {
      {std::make_shared<RecordingInterruptLine>(), std::make_shared<RecordingInterruptLine>(),
       nullptr, nullptr}};
  auto c = Clint::Create(pins);
  ASSERT_TRUE(c.ok());
  uint64_t a = (*c)->Mtime();
  usleep(2000);
  uint64_t b = (*c)->Mtime();
  EXPECT_GE(b - a, 20000u - 1);  // >= 2 ms at 10 MHz.
}

TEST(ClintTest, MsipPerHart) {
  Fixture f(2);
  f.Write(4, 0xffffffff, 4);  // Hart 1; only bit 0 is writable.
  EXPECT_FALSE(f.msip[0]->level());
  EXPECT_TRUE(f.msip[1]->level());
  EXPECT_EQ(f.Read(4, 4), 1u);
  f.Write(4, 0, 4);
  EXPECT_FALSE(f.msip[1]->level());
  EXPECT_EQ(f.msip[1]->rising_edges(), 1);
}

// Counts every level written, changed or not.
class CountingLine : public InterruptLine {
 public:
  void SetLevel(bool high) override {
    ++writes;
    level = high;
  }
  int writes = 0;
  bool level = false;
};

TEST(ClintTest, MsipWriteOfOneOverOneDrivesTheLineAgain) {
  auto line = std::make_shared<CountingLine>();
  auto mtip = std::make_shared<RecordingInterruptLine>();
  auto c = Clint::Create({{line, mtip, nullptr, nullptr}});
  ASSERT_TRUE(c.ok());
  const uint8_t one[4] = {1, 0, 0, 0}, zero[4] = {0, 0, 0, 0};
  (*c)->Write(0, absl::MakeConstSpan(one));
  (*c)->Write(0, absl::MakeConstSpan(one));  // A second IPI while the first is pending.
  EXPECT_TRUE(line->level);
  EXPECT_EQ(line->writes, 2);  // A hart polling in WFI wakes for it.
  (*c)->Write(0, absl::MakeConstSpan(zero));
  (*c)->Write(0, absl::MakeConstSpan(zero));  // Clearing a clear bit stays silent.
  EXPECT_FALSE(line->level);
  EXPECT_EQ(line->writes, 3);
}

TEST(ClintTest, MtipFollowsMtimecmpAndDeadline) {
  Fixture f(2);
  EXPECT_FALSE(f.mtip[0]->level());  // Reset mtimecmp is all ones.
  uint64_t now = f.Read(Clint::kMtime, 8);
  f.Write(Clint::kMtimecmpBase + 8, now + 500, 8);  // Hart 1, 50 us ahead.
  EXPECT_FALSE(f.mtip[1]->level());
  EXPECT_EQ(f.clint->NextDeadlineNs(), f.now_ns.load() + 50000);
  EXPECT_EQ(f.clint->NextDeadlineNs(1), f.now_ns.load() + 50000);
  f.now_ns += 50000;
  f.clint->UpdateTimers();
  EXPECT_TRUE(f.mtip[1]->level());
  EXPECT_FALSE(f.mtip[0]->level());
  EXPECT_EQ(f.clint->NextDeadlineNs(1), f.now_ns.load());  // Expired: no sleep.
  // 32-bit write of the high half re-arms it (the two-write sequence of the
  // privileged spec, 3.2.1).
  f.Write(Clint::kMtimecmpBase + 8 + 4, 0xffffffff, 4);
  EXPECT_FALSE(f.mtip[1]->level());
  EXPECT_EQ(f.Read(Clint::kMtimecmpBase + 8 + 4, 4), 0xffffffffu);
  // Far-future deadlines saturate instead of overflowing.
  EXPECT_EQ(f.clint->NextDeadlineNs(0), UINT64_MAX);
}

TEST(ClintTest, PauseFreezesTime) {
  Fixture f(1);
  uint64_t t0 = f.clint->Mtime();
  f.clint->Pause();
  f.now_ns += 5000000000ull;
  EXPECT_EQ(f.clint->Mtime(), t0);
  EXPECT_FALSE(f.clint->NextDeadlineNs().has_value());
  f.clint->Resume();
  EXPECT_EQ(f.clint->Mtime(), t0);
  f.now_ns += 100;
  EXPECT_EQ(f.clint->Mtime(), t0 + 1);
}

TEST(ClintTest, HostileAccessesIgnored) {
  Fixture f(1);
  f.Write(8, 1, 4);                         // msip of a hart that does not exist.
  f.Write(0, 1, 8);                         // msip is 32-bit only.
  f.Write(1, 1, 4);                         // Misaligned.
  f.Write(Clint::kMtimecmpBase + 8, 0, 8);  // mtimecmp beyond the harts.
  f.Write(Clint::kMtimecmpBase + 2, 0, 4);  // Misaligned.
  f.Write(0xfffffff0, 0, 8);
  EXPECT_FALSE(f.msip[0]->level());
  EXPECT_FALSE(f.mtip[0]->level());
  EXPECT_EQ(f.Read(1, 2), 0xffffu);  // Untouched: bus all-ones.
  EXPECT_EQ(f.Read(0x8000, 4), 0u);
  EXPECT_FALSE(Clint::Create({}).ok());
  EXPECT_FALSE(Clint::Create({HartInterruptPins{}}).ok());
}

}  // namespace
}  // namespace vmm
