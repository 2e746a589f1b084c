#include <memory>

#include "devices/virtio/queue/buffer_slice.h"
#include "devices/virtio/queue/descriptor_chain.h"
#include "devices/virtio/queue/split_queue.h"
#include "devices/virtio/queue/virtio_ring.h"
#include "gtest/gtest.h"

namespace vmm {
namespace virtio {
namespace {

constexpr uint16_t kSize = 8;
constexpr uint64_t kDesc = 0x1000, kAvail = 0x2000, kUsed = 0x3000;

class QueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = GuestMemory::Create({{GuestAddress(0), 1 << 20}});
    ASSERT_TRUE(m.ok());
    mem_ = std::move(*m);
  }
  absl::StatusOr<SplitQueue> Make(QueueFeatures f = {}) {
    return SplitQueue::Create(
        mem_.get(), {kSize, GuestAddress(kDesc), GuestAddress(kAvail), GuestAddress(kUsed)}, 256,
        f);
  }
  void Desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) {
    ASSERT_TRUE(
        mem_->WriteObj(GuestAddress(kDesc + 16 * i), VirtqDesc{addr, len, flags, next}).ok());
  }
  void Publish(uint16_t head) {
    uint16_t idx = *mem_->ReadObj<uint16_t>(GuestAddress(kAvail + 2));
    ASSERT_TRUE(mem_->WriteObj(GuestAddress(kAvail + 4 + 2 * (idx % kSize)), head).ok());
    ASSERT_TRUE(mem_->WriteObj(GuestAddress(kAvail + 2), static_cast<uint16_t>(idx + 1)).ok());
  }
  uint16_t UsedIdx() { return *mem_->ReadObj<uint16_t>(GuestAddress(kUsed + 2)); }
  std::unique_ptr<GuestMemory> mem_;
};

TEST_F(QueueTest, CreateChecksLayout) {
  auto bad = [&](uint16_t size, uint64_t d, uint64_t a, uint64_t u) {
    return !SplitQueue::Create(mem_.get(),
                               {size, GuestAddress(d), GuestAddress(a), GuestAddress(u)}, 256, {})
                .ok();
  };
  EXPECT_TRUE(bad(0, kDesc, kAvail, kUsed));
  EXPECT_TRUE(bad(6, kDesc, kAvail, kUsed));           // not a power of 2
  EXPECT_TRUE(bad(512, kDesc, kAvail, kUsed));         // above the device max
  EXPECT_TRUE(bad(8, kDesc + 8, kAvail, kUsed));       // desc 16-aligned
  EXPECT_TRUE(bad(8, kDesc, kAvail + 1, kUsed));       // avail 2-aligned
  EXPECT_TRUE(bad(8, kDesc, kAvail, kUsed + 2));       // used 4-aligned
  EXPECT_TRUE(bad(8, (1 << 20) - 64, kAvail, kUsed));  // desc past RAM end
  EXPECT_TRUE(bad(8, kDesc, kAvail, ~0ull - 3));       // wraps
  EXPECT_TRUE(Make().ok());
}

TEST_F(QueueTest, PopsChainsAndSplitsReadableWritable) {
  auto q = Make();
  ASSERT_TRUE(q.ok());
  auto none = q->Pop();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  Desc(2, 0x8000, 16, kVirtqDescFNext, 5);
  Desc(5, 0x9000, 100, kVirtqDescFNext | kVirtqDescFWrite, 7);
  Desc(7, 0xa000, 1, kVirtqDescFWrite, 0);
  Publish(2);
  auto c = q->Pop();
  ASSERT_TRUE(c.ok() && c->has_value());
  auto bufs = CollectChain(**c);
  ASSERT_TRUE(bufs.ok()) << bufs.status();
  EXPECT_EQ(bufs->head, 2);
  ASSERT_EQ(bufs->readable.size(), 1u);
  ASSERT_EQ(bufs->writable.size(), 2u);
  EXPECT_EQ(bufs->writable_bytes, 101u);
  // Undo hands the same chain out again.
  q->Undo();
  auto again = q->Pop();
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->head(), 2);
  ASSERT_TRUE(q->AddUsed(2, 101).ok());
  EXPECT_EQ(UsedIdx(), 1);
  EXPECT_EQ(mem_->ReadObj<VirtqUsedElem>(GuestAddress(kUsed + 4))->len, 101u);
  EXPECT_FALSE(q->AddUsed(kSize, 0).ok());
}

TEST_F(QueueTest, TotalLengthCapped) {
  auto q = Make();
  q->set_max_chain_bytes(1000);
  Desc(0, 0x8000, 600, kVirtqDescFNext, 1);
  Desc(1, 0x9000, 600, kVirtqDescFWrite, 0);
  Publish(0);
  auto c = q->Pop();
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_FALSE(CollectChain(**c).ok());
}

TEST_F(QueueTest, IndirectOnlyWhenNegotiated) {
  ASSERT_TRUE(mem_->WriteObj(GuestAddress(0x5000), VirtqDesc{0x8000, 16, 0, 0}).ok());
  Desc(0, 0x5000, 16, kVirtqDescFIndirect, 0);
  Publish(0);
  auto q = Make();
  auto c = q->Pop();
  EXPECT_FALSE(CollectChain(**c).ok());
  auto q2 = Make({false, true});
  auto c2 = q2->Pop();
  auto bufs = CollectChain(**c2);
  ASSERT_TRUE(bufs.ok()) << bufs.status();
  EXPECT_EQ(bufs->readable_bytes, 16u);
}

TEST_F(QueueTest, FailedChainStaysFailed) {
  auto q = Make();
  Desc(0, 0x8000, 16, kVirtqDescFNext, 0);
  Publish(0);
  auto c = q->Pop();
  DescriptorChain& chain = **c;
  absl::Status first;
  for (int i = 0; i < 20 && first.ok(); ++i) first = chain.Next().status();
  EXPECT_FALSE(first.ok());
  EXPECT_FALSE(chain.Next().ok());
}

TEST_F(QueueTest, EventIdxNotification) {
  auto q = Make({true, false});
  Desc(0, 0x8000, 1, kVirtqDescFWrite, 0);
  // used_event (after avail ring) = 1: notify when used.idx passes 1.
  ASSERT_TRUE(mem_->WriteObj(GuestAddress(kAvail + 4 + 2 * kSize), uint16_t{1}).ok());
  for (int i = 0; i < 3; ++i) Publish(0);
  std::vector<bool> notes;
  for (int i = 0; i < 3; ++i) {
    auto c = q->Pop();
    ASSERT_TRUE(c.ok() && c->has_value());
    ASSERT_TRUE(q->AddUsed(0, 1).ok());
    notes.push_back(*q->ShouldNotify());
  }
  // First call always notifies; used.idx=2 passes used_event=1; 3 does not.
  EXPECT_EQ(notes, (std::vector<bool>{true, true, false}));
  // EnableNotification publishes avail_event and sees nothing new.
  auto more = q->EnableNotification();
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
  EXPECT_EQ(*mem_->ReadObj<uint16_t>(GuestAddress(kUsed + 4 + 8 * kSize)), 3);
  Publish(0);
  EXPECT_TRUE(*q->EnableNotification());
}

TEST_F(QueueTest, NoInterruptFlag) {
  auto q = Make();
  ASSERT_TRUE(mem_->WriteObj(GuestAddress(kAvail), kVirtqAvailFNoInterrupt).ok());
  EXPECT_FALSE(*q->ShouldNotify());
  ASSERT_TRUE(mem_->WriteObj(GuestAddress(kAvail), uint16_t{0}).ok());
  EXPECT_TRUE(*q->ShouldNotify());
  ASSERT_TRUE(q->DisableNotification().ok());
  EXPECT_EQ(*mem_->ReadObj<uint16_t>(GuestAddress(kUsed)), kVirtqUsedFNoNotify);
  ASSERT_TRUE(q->EnableNotification().ok());
  EXPECT_EQ(*mem_->ReadObj<uint16_t>(GuestAddress(kUsed)), 0);
}

TEST_F(QueueTest, AvailIdxJumpRefused) {
  auto q = Make();
  ASSERT_TRUE(mem_->WriteObj(GuestAddress(kAvail + 2), uint16_t{kSize + 1}).ok());
  EXPECT_FALSE(q->Pop().ok());
}

TEST(BufferSliceTest, SlicesAcrossDescriptors) {
  std::vector<Descriptor> parts{{GuestAddress(0x100), 10, false},
                                {GuestAddress(0x200), 0, false},
                                {GuestAddress(0x300), 20, false}};
  auto s = SliceDescriptors(parts, 5, 10);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].addr, GuestAddress(0x105));
  EXPECT_EQ(s[0].len, 5u);
  EXPECT_EQ(s[1].addr, GuestAddress(0x300));
  EXPECT_EQ(s[1].len, 5u);
  EXPECT_TRUE(SliceDescriptors(parts, 30, 5).empty());
  EXPECT_EQ(SliceDescriptors(parts, 25, 100).size(), 1u);
}

}  // namespace
}  // namespace virtio
}  // namespace vmm
