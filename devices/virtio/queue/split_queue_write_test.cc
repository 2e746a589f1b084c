// SplitQueue writes only used.flags, used.idx, used.ring[size] and, with
// EVENT_IDX only, avail_event (§2.7.8, §2.7.10): every other byte of RAM,
// the driver's own areas included, is checked against a shadow copy while
// the ring wraps several times, with the used ring placed at the end of RAM.
#include <cstring>
#include <memory>
#include <vector>

#include "devices/virtio/queue/guest_write_check.h"
#include "devices/virtio/queue/split_queue.h"
#include "devices/virtio/queue/virtio_ring.h"
#include "gtest/gtest.h"

namespace vmm {
namespace virtio {
namespace testing {
namespace {

constexpr uint64_t kRam = 1 << 20;
constexpr uint16_t kSize = 8;
constexpr uint64_t kDesc = 0x1000, kAvail = 0x2000;
// The used ring is 6 + 8 * size bytes (2 mod 4): 4-byte aligned, it ends
// two bytes before the end of RAM, which must stay untouched.
constexpr uint64_t kUsed = kRam - 72;

class SplitQueueWriteTest : public ::testing::TestWithParam<bool> {};

TEST_P(SplitQueueWriteTest, WritesOnlyTheUsedRingAndAvailEventWhenNegotiated) {
  const bool event_idx = GetParam();
  auto m = GuestMemory::Create({{GuestAddress(0), kRam}});
  ASSERT_TRUE(m.ok());
  GuestMemory& mem = **m;
  FillCanary(mem, GuestAddress(0), kRam);
  std::vector<uint8_t> shadow = Snapshot(mem, GuestAddress(0), kRam);
  // The driver's writes go to RAM and to the shadow alike.
  auto driver_write = [&](uint64_t addr, const void* p, size_t n) {
    ASSERT_TRUE(mem.Write(GuestAddress(addr),
                          absl::Span<const uint8_t>(static_cast<const uint8_t*>(p), n))
                    .ok());
    std::memcpy(&shadow[addr], p, n);
  };
  const uint16_t zero = 0;
  driver_write(kAvail, &zero, 2);      // flags
  driver_write(kAvail + 2, &zero, 2);  // idx
  auto q = SplitQueue::Create(
      &mem, {kSize, GuestAddress(kDesc), GuestAddress(kAvail), GuestAddress(kUsed)}, 256,
      {event_idx, false});
  ASSERT_TRUE(q.ok()) << q.status();

  constexpr int kChains = 3 * kSize + 3;  // Wraps the rings three times.
  for (int i = 0; i < kChains; ++i) {
    const uint16_t head = static_cast<uint16_t>((i * 3) % kSize);
    const VirtqDesc d{0x10000 + 0x100ull * i, 0x80, kVirtqDescFWrite, 0};
    driver_write(kDesc + 16ull * head, &d, sizeof(d));
    driver_write(kAvail + 4 + 2ull * (i % kSize), &head, 2);
    const uint16_t idx = static_cast<uint16_t>(i + 1);
    driver_write(kAvail + 2, &idx, 2);
    const uint16_t used_event = static_cast<uint16_t>(i);
    driver_write(kAvail + 4 + 2ull * kSize, &used_event, 2);

    ASSERT_TRUE(q->DisableNotification().ok());
    auto chain = q->Pop();
    ASSERT_TRUE(chain.ok() && chain->has_value());
    auto bufs = CollectChain(**chain);
    ASSERT_TRUE(bufs.ok()) << bufs.status();
    ASSERT_EQ(bufs->head, head);
    ASSERT_TRUE(q->AddUsed(head, 0x40).ok());
    ASSERT_TRUE(q->ShouldNotify().ok());
    auto more = q->EnableNotification();
    ASSERT_TRUE(more.ok());
    EXPECT_FALSE(*more);
  }
  // A head outside the queue, one returned already and one never popped
  // are refused, and write nothing.
  EXPECT_FALSE(q->AddUsed(kSize, 1).ok());
  EXPECT_FALSE(q->AddUsed(static_cast<uint16_t>(((kChains - 1) * 3) % kSize), 1).ok());
  EXPECT_FALSE(q->AddUsed(1, 1).ok());

  WriteMap allowed;
  allowed.Allow(GuestAddress(kUsed), 4 + 8 * kSize);  // flags, idx, ring
  if (event_idx) allowed.Allow(GuestAddress(kUsed + 4 + 8 * kSize), 2);
  EXPECT_EQ(allowed.Diff(mem, GuestAddress(0), shadow), "");
  EXPECT_EQ(*mem.ReadObj<uint16_t>(GuestAddress(kUsed + 2)), kChains);
  for (int i = kChains - kSize; i < kChains; ++i) {
    const VirtqUsedElem e = *mem.ReadObj<VirtqUsedElem>(GuestAddress(kUsed + 4 + 8 * (i % kSize)));
    EXPECT_EQ(e.id, static_cast<uint32_t>((i * 3) % kSize));
    EXPECT_EQ(e.len, 0x40u);
  }
  if (event_idx) {
    EXPECT_EQ(*mem.ReadObj<uint16_t>(GuestAddress(kUsed + 4 + 8 * kSize)), kChains);
  }
}

// A head the driver makes available twice while the device holds it is a
// protocol error (the device would use one chain for two requests).
TEST(SplitQueueInFlightTest, HeadAvailableTwiceWhileHeldIsRefused) {
  auto m = GuestMemory::Create({{GuestAddress(0), kRam}});
  ASSERT_TRUE(m.ok());
  GuestMemory& mem = **m;
  auto q = SplitQueue::Create(
      &mem, {kSize, GuestAddress(kDesc), GuestAddress(kAvail), GuestAddress(0x3000)}, 256, {});
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(mem.WriteObj(GuestAddress(kDesc), VirtqDesc{0x8000, 16, kVirtqDescFWrite, 0}).ok());
  ASSERT_TRUE(mem.WriteObj(GuestAddress(kAvail + 4), uint16_t{0}).ok());
  ASSERT_TRUE(mem.WriteObj(GuestAddress(kAvail + 6), uint16_t{0}).ok());
  ASSERT_TRUE(mem.WriteObj(GuestAddress(kAvail + 2), uint16_t{2}).ok());
  auto first = q->Pop();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_FALSE(q->Pop().ok());
  // Undo gives it back: popped again, returned once.
  q->Undo();
  auto again = q->Pop();
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_TRUE(q->AddUsed(0, 16).ok());
  EXPECT_FALSE(q->AddUsed(0, 16).ok());
  auto second = q->Pop();  // Returned now: the second entry is fine.
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_TRUE(q->AddUsed(0, 16).ok());
  EXPECT_EQ(*mem.ReadObj<uint16_t>(GuestAddress(0x3000 + 2)), 2);
}

INSTANTIATE_TEST_SUITE_P(EventIdx, SplitQueueWriteTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "EventIdx" : "NoEventIdx";
                         });

}  // namespace
}  // namespace testing
}  // namespace virtio
}  // namespace vmm
