#include "devices/riscv/plic.h"

#include <memory>

#include "gtest/gtest.h"

namespace vmm {
namespace {

struct Fixture {
  std::vector<std::shared_ptr<RecordingInterruptLine>> meip, seip;
  std::shared_ptr<Plic> plic;

  explicit Fixture(int harts, uint32_t sources = 96) {
    std::vector<HartInterruptPins> pins;
    for (int i = 0; i < harts; ++i) {
      meip.push_back(std::make_shared<RecordingInterruptLine>());
      seip.push_back(std::make_shared<RecordingInterruptLine>());
      pins.push_back({nullptr, nullptr, meip.back(), seip.back()});
    }
    auto p = Plic::Create(sources, pins);
    EXPECT_TRUE(p.ok()) << p.status();
    plic = *p;
  }
  uint32_t Read(uint64_t off) {
    uint8_t b[4] = {0xff, 0xff, 0xff, 0xff};
    plic->Read(off, absl::MakeSpan(b, 4));
    return b[0] | b[1] << 8 | b[2] << 16 | uint32_t{b[3]} << 24;
  }
  void Write(uint64_t off, uint32_t v) {
    uint8_t b[4] = {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
    plic->Write(off, absl::MakeConstSpan(b, 4));
  }
  static uint64_t Enable(size_t ctx, uint32_t src) {
    return Plic::kEnableBase + Plic::kEnableStride * ctx + 4 * (src / 32);
  }
  static uint64_t Threshold(size_t ctx) { return Plic::kContextBase + Plic::kContextStride * ctx; }
  static uint64_t Claim(size_t ctx) { return Threshold(ctx) + 4; }
};

TEST(PlicTest, LevelSourceClaimComplete) {
  Fixture f(1);
  auto line = f.plic->Input(10);
  ASSERT_TRUE(line.ok());
  f.Write(4 * 10, 1);                     // Priority 1.
  f.Write(Fixture::Enable(1, 10), 1u << 10);  // S-mode context of hart 0.
  (*line)->SetLevel(true);
  EXPECT_TRUE(f.seip[0]->level());
  EXPECT_FALSE(f.meip[0]->level());
  EXPECT_EQ(f.Read(Plic::kPending), 1u << 10);
  EXPECT_EQ(f.Read(Fixture::Claim(1)), 10u);
  EXPECT_FALSE(f.seip[0]->level());      // Claimed: no longer pending.
  EXPECT_EQ(f.Read(Fixture::Claim(1)), 0u);
  // Still high at completion: the gateway forwards it again.
  f.Write(Fixture::Claim(1), 10);
  EXPECT_TRUE(f.seip[0]->level());
  EXPECT_EQ(f.Read(Fixture::Claim(1)), 10u);
  (*line)->SetLevel(false);
  f.Write(Fixture::Claim(1), 10);
  EXPECT_FALSE(f.seip[0]->level());
  EXPECT_EQ(f.Read(Plic::kPending), 0u);
}

TEST(PlicTest, PriorityThresholdAndTies) {
  Fixture f(2);
  for (uint32_t s : {1u, 2u, 40u}) {
    auto line = f.plic->Input(s);
    ASSERT_TRUE(line.ok());
    (*line)->SetLevel(true);
  }
  f.Write(4 * 1, 3);
  f.Write(4 * 2, 3);
  f.Write(4 * 40, 5);
  EXPECT_EQ(f.Read(4 * 40), 5u);
  f.Write(4 * 40, 0xffffffff);
  EXPECT_EQ(f.Read(4 * 40), Plic::kMaxPriority);
  // Hart 1 M-mode = context 2.
  f.Write(Fixture::Enable(2, 0), 0x6);
  f.Write(Fixture::Enable(2, 40), 1u << 8);
  EXPECT_TRUE(f.meip[1]->level());
  EXPECT_FALSE(f.meip[0]->level());
  f.Write(Fixture::Threshold(2), 7);  // Nothing exceeds 7.
  EXPECT_FALSE(f.meip[1]->level());
  EXPECT_EQ(f.Read(Fixture::Claim(2)), 0u);
  f.Write(Fixture::Threshold(2), 3);
  EXPECT_EQ(f.Read(Fixture::Claim(2)), 40u);  // Highest priority.
  f.Write(Fixture::Threshold(2), 0);
  EXPECT_EQ(f.Read(Fixture::Claim(2)), 1u);   // Tie: lowest ID.
  EXPECT_EQ(f.Read(Fixture::Claim(2)), 2u);
  EXPECT_FALSE(f.meip[1]->level());
}

TEST(PlicTest, PriorityZeroNeverInterrupts) {
  Fixture f(1);
  auto line = f.plic->Input(5);
  ASSERT_TRUE(line.ok());
  f.Write(Fixture::Enable(0, 5), 1u << 5);
  (*line)->SetLevel(true);
  EXPECT_FALSE(f.meip[0]->level());
  EXPECT_EQ(f.Read(Fixture::Claim(0)), 0u);
}

TEST(PlicTest, CompleteForDisabledSourceIgnored) {
  Fixture f(1);
  auto line = f.plic->Input(3);
  ASSERT_TRUE(line.ok());
  f.Write(4 * 3, 1);
  f.Write(Fixture::Enable(0, 3), 1u << 3);
  (*line)->SetLevel(true);
  EXPECT_EQ(f.Read(Fixture::Claim(0)), 3u);
  f.Write(Fixture::Claim(1), 3);  // Context 1 does not enable source 3.
  EXPECT_FALSE(f.meip[0]->level());
  f.Write(Fixture::Claim(0), 3);
  EXPECT_TRUE(f.meip[0]->level());
}

TEST(PlicTest, HostileAccessesIgnored) {
  Fixture f(1);
  EXPECT_FALSE(f.plic->Input(0).ok());
  EXPECT_FALSE(f.plic->Input(96).ok());
  f.plic->SetSourceLevel(5000, true);
  f.Write(0, 7);                                // Source 0 priority.
  EXPECT_EQ(f.Read(0), 0u);
  f.Write(Fixture::Enable(0, 0), 0xffffffff);   // Source 0 cannot be enabled.
  EXPECT_EQ(f.Read(Fixture::Enable(0, 0)), 0xfffffffeu);
  f.Write(Fixture::Enable(0, 64), 0xffffffff);  // Beyond source 95.
  EXPECT_EQ(f.Read(Fixture::Enable(0, 64)), 0xffffffffu);
  f.Write(Fixture::Enable(0, 96), 0xffffffff);  // No such word.
  EXPECT_EQ(f.Read(Fixture::Enable(0, 96)), 0u);
  f.Write(Fixture::Claim(5), 1);                // Context beyond 1 hart.
  f.Write(Fixture::Claim(0), 0xdeadbeef);       // No such source.
  f.Write(Plic::kSize + 4, 1);
  f.Write(Plic::kPending, 0xffffffff);          // Read-only.
  EXPECT_EQ(f.Read(Plic::kPending), 0u);
  uint8_t b[2] = {1, 1};
  f.plic->Write(2, absl::MakeConstSpan(b, 2));  // Misaligned, wrong size.
  EXPECT_FALSE(f.meip[0]->level());
  EXPECT_FALSE(Plic::Create(1, {}).ok());
  EXPECT_FALSE(Plic::Create(96, {}).ok());
  EXPECT_FALSE(Plic::Create(2000, {HartInterruptPins{}}).ok());
}

TEST(PlicTest, InputKeepsPlicAlive) {
  std::shared_ptr<InterruptLine> line;
  auto seip = std::make_shared<RecordingInterruptLine>();
  {
    auto meip = std::make_shared<RecordingInterruptLine>();
    auto p = Plic::Create(96, {HartInterruptPins{nullptr, nullptr, meip, seip}});
    ASSERT_TRUE(p.ok());
    line = *(*p)->Input(7);
  }
  line->SetLevel(true);  // PLIC still alive through the line; no crash.
  line->SetLevel(false);
}

}  // namespace
}  // namespace vmm
