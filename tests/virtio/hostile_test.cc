// Hostile drivers: every broken chain or ring is refused, the device sets
// DEVICE_NEEDS_RESET with a config-change interrupt, the process keeps
// running, and after a reset the device serves again.

#include <thread>

#include "devices/virtio/core/virtio_spec.h"
#include "gtest/gtest.h"
#include "tests/virtio/blk_fixture.h"

namespace vmm {
namespace virtio {
namespace testing {
namespace {

constexpr uint16_t kQ = 0;
constexpr uint16_t kSize = 16;

class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    img_ = std::make_unique<TempImage>(TempImage::Create(1 << 20));
    BlockDeviceOptions o;
    o.path = img_->path();
    o.queue_size = kSize;
    auto rig = BlkRig::Create(o, ~0ull, kSize);
    ASSERT_TRUE(rig.ok()) << rig.status();
    rig_ = std::move(*rig);
    hdr_ = d().Alloc(16);
    ASSERT_TRUE(rig_->memory().WriteObj(hdr_, BlkReqHeader{kBlkTIn, 0, 0}).ok());
    data_ = d().Alloc(512);
    status_ = d().Alloc(1);
  }
  GuestDriver& d() { return rig_->driver(); }

  // Publishes `head`, kicks, and expects the device to give up on it.
  void ExpectRefused(uint16_t head) {
    d().PushAvail(kQ, head);
    d().Kick(kQ);
    ExpectBroken();
  }
  void ExpectBroken() {
    ASSERT_TRUE(d().WaitStatus(kStatusDeviceNeedsReset)) << "device did not give up";
    // The config-change interrupt follows the status bit (§2.1.2).
    for (int i = 0;
         i < 5000 && !(rig_->transport().interrupt_status() & mmio::kInterruptConfigChange); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(rig_->transport().interrupt_status() & mmio::kInterruptConfigChange);
    EXPECT_TRUE(rig_->irq().level());
    const uint16_t used = d().UsedIdx(kQ);
    // More kicks are ignored while broken; nothing else is written.
    d().Kick(kQ);
    EXPECT_EQ(d().UsedIdx(kQ), used);
    // Recovery: reset, renegotiate, serve a good request.
    d().Reset();
    EXPECT_EQ(d().status(), 0);
    ASSERT_TRUE(rig_->Reinit().ok());
    BlkReply r = rig_->Do(kQ, kBlkTIn, 0, {}, 512);
    EXPECT_EQ(r.status, kBlkSOk);
    EXPECT_EQ(r.data, img_->ReadAt(0, 512));
  }
  VirtqDesc Desc(GuestAddress a, uint32_t len, uint16_t flags, uint16_t next) {
    return VirtqDesc{a.value(), len, flags, next};
  }

  std::unique_ptr<TempImage> img_;
  std::unique_ptr<BlkRig> rig_;
  GuestAddress hdr_, data_, status_;
};

TEST_F(HostileTest, LoopingChain) {
  d().WriteDesc(kQ, 0, Desc(hdr_, 16, kVirtqDescFNext, 1));
  d().WriteDesc(kQ, 1, Desc(data_, 512, kVirtqDescFNext, 0));  // back to 0
  ExpectRefused(0);
}

TEST_F(HostileTest, SelfLoop) {
  d().WriteDesc(kQ, 3, Desc(hdr_, 16, kVirtqDescFNext, 3));
  ExpectRefused(3);
}

TEST_F(HostileTest, ChainLongerThanQueueVisitsEveryEntry) {
  for (uint16_t i = 0; i < kSize; ++i) {
    d().WriteDesc(kQ, i, Desc(hdr_, 16, kVirtqDescFNext, static_cast<uint16_t>((i + 1) % kSize)));
  }
  ExpectRefused(0);
}

TEST_F(HostileTest, NextIndexOutOfTable) {
  d().WriteDesc(kQ, 0, Desc(hdr_, 16, kVirtqDescFNext, kSize + 5));
  ExpectRefused(0);
}

TEST_F(HostileTest, BufferOutsideRam) {
  d().WriteDesc(kQ, 0, Desc(hdr_, 16, kVirtqDescFNext, 1));
  d().WriteDesc(kQ, 1, Desc(GuestAddress(1ull << 40), 512, kVirtqDescFWrite | kVirtqDescFNext, 2));
  d().WriteDesc(kQ, 2, Desc(status_, 1, kVirtqDescFWrite, 0));
  ExpectRefused(0);
}

TEST_F(HostileTest, BufferStraddlingEndOfRam) {
  d().WriteDesc(kQ, 0, Desc(hdr_, 16, kVirtqDescFNext, 1));
  d().WriteDesc(
      kQ, 1, Desc(GuestAddress((64ull << 20) - 256), 512, kVirtqDescFWrite | kVirtqDescFNext, 2));
  d().WriteDesc(kQ, 2, Desc(status_, 1, kVirtqDescFWrite, 0));
  ExpectRefused(0);
}

TEST_F(HostileTest, AddressOverflow) {
  d().WriteDesc(kQ, 0, Desc(GuestAddress(~0ull - 7), 16, kVirtqDescFNext, 1));
  d().WriteDesc(kQ, 1, Desc(status_, 1, kVirtqDescFWrite, 0));
  ExpectRefused(0);
}

TEST_F(HostileTest, HugeLength) {
  d().WriteDesc(kQ, 0, Desc(hdr_, 16, kVirtqDescFNext, 1));
  d().WriteDesc(kQ, 1, Desc(data_, 0xffffffffu, kVirtqDescFWrite | kVirtqDescFNext, 2));
  d().WriteDesc(kQ, 2, Desc(status_, 1, kVirtqDescFWrite, 0));
  ExpectRefused(0);
}

TEST_F(HostileTest, WritableBeforeReadable) {
  d().WriteDesc(kQ, 0, Desc(data_, 512, kVirtqDescFWrite | kVirtqDescFNext, 1));
  d().WriteDesc(kQ, 1, Desc(hdr_, 16, kVirtqDescFNext, 2));
  d().WriteDesc(kQ, 2, Desc(status_, 1, kVirtqDescFWrite, 0));
  ExpectRefused(0);
}

TEST_F(HostileTest, NoStatusByte) {
  d().WriteDesc(kQ, 0, Desc(hdr_, 16, 0, 0));
  ExpectRefused(0);
}

TEST_F(HostileTest, IndirectTableLengthNotMultipleOf16) {
  GuestAddress table = d().Alloc(64);
  d().WriteDesc(kQ, 0, Desc(table, 40, kVirtqDescFIndirect, 0));
  ExpectRefused(0);
}

TEST_F(HostileTest, IndirectTableEmpty) {
  d().WriteDesc(kQ, 0, Desc(d().Alloc(16), 0, kVirtqDescFIndirect, 0));
  ExpectRefused(0);
}

TEST_F(HostileTest, IndirectTableOutsideRam) {
  d().WriteDesc(kQ, 0, Desc(GuestAddress((64ull << 20) - 16), 64, kVirtqDescFIndirect, 0));
  ExpectRefused(0);
}

TEST_F(HostileTest, IndirectTableLongerThanQueue) {
  d().WriteDesc(kQ, 0, Desc(d().Alloc(16 * (kSize + 1)), 16 * (kSize + 1), kVirtqDescFIndirect, 0));
  ExpectRefused(0);
}

TEST_F(HostileTest, NestedIndirect) {
  GuestAddress inner = d().Alloc(32);
  GuestAddress outer = d().Alloc(32);
  ASSERT_TRUE(rig_->memory().WriteObj(outer, Desc(inner, 32, kVirtqDescFIndirect, 0)).ok());
  d().WriteDesc(kQ, 0, Desc(outer, 16, kVirtqDescFIndirect, 0));
  ExpectRefused(0);
}

TEST_F(HostileTest, IndirectWithNext) {
  GuestAddress table = d().Alloc(32);
  d().WriteDesc(kQ, 0, Desc(table, 32, kVirtqDescFIndirect | kVirtqDescFNext, 1));
  ExpectRefused(0);
}

TEST_F(HostileTest, LoopInsideIndirectTable) {
  GuestAddress table = d().Alloc(32);
  ASSERT_TRUE(rig_->memory().WriteObj(table, Desc(hdr_, 16, kVirtqDescFNext, 1)).ok());
  ASSERT_TRUE(rig_->memory()
                  .WriteObj(GuestAddress(table.value() + 16), Desc(hdr_, 16, kVirtqDescFNext, 0))
                  .ok());
  d().WriteDesc(kQ, 0, Desc(table, 32, kVirtqDescFIndirect, 0));
  ExpectRefused(0);
}

TEST_F(HostileTest, AvailIndexJumpsPastQueueSize) {
  d().SetAvailIdx(kQ, kSize + 1);
  d().Kick(kQ);
  ExpectBroken();
}

TEST_F(HostileTest, AvailHeadOutOfRange) { ExpectRefused(kSize + 3); }

TEST_F(HostileTest, QueueOutsideRamAtDriverOk) {
  d().Reset();
  ASSERT_TRUE(d().Negotiate(~0ull).ok());
  d().WriteReg(mmio::kQueueSel, 0);
  d().WriteReg(mmio::kQueueNum, kSize);
  d().WriteReg(mmio::kQueueDescLow, 0xfffff000);
  d().WriteReg(mmio::kQueueDescHigh, 0x7);
  d().WriteReg(mmio::kQueueReady, 1);
  d().DriverOk();
  ASSERT_TRUE(d().WaitStatus(kStatusDeviceNeedsReset));
  EXPECT_FALSE(rig_->device().activated());
  d().Reset();
  ASSERT_TRUE(rig_->Reinit().ok());
  EXPECT_EQ(rig_->Do(kQ, kBlkTIn, 0, {}, 512).status, kBlkSOk);
}

TEST_F(HostileTest, BadQueueSizeAtDriverOk) {
  d().Reset();
  ASSERT_TRUE(d().Negotiate(~0ull).ok());
  ASSERT_TRUE(d().SetupQueue(0, kSize).ok());
  d().WriteReg(mmio::kQueueNum, 12);  // Not a power of 2.
  d().DriverOk();
  ASSERT_TRUE(d().WaitStatus(kStatusDeviceNeedsReset));
}

TEST_F(HostileTest, FeaturesWithoutVersion1AreRefused) {
  d().Reset();
  absl::StatusOr<uint64_t> f = d().Negotiate(~Bit(kFVersion1));
  EXPECT_FALSE(f.ok());
  EXPECT_FALSE(d().status() & kStatusFeaturesOk);
  d().DriverOk();  // Without FEATURES_OK: refused.
  EXPECT_FALSE(d().status() & kStatusDriverOk);
  EXPECT_FALSE(rig_->device().activated());
}

TEST_F(HostileTest, UnofferedFeatureRefused) {
  d().Reset();
  d().WriteReg(mmio::kStatus, 3);
  d().WriteReg(mmio::kDriverFeaturesSel, 1);
  d().WriteReg(mmio::kDriverFeatures, 1 | (1u << 20));  // VERSION_1 + an unknown bit
  d().WriteReg(mmio::kStatus, 3 | 8);
  EXPECT_FALSE(d().status() & kStatusFeaturesOk);
}

}  // namespace
}  // namespace testing
}  // namespace virtio
}  // namespace vmm
