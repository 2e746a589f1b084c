#include "devices/virtio/mmio/mmio_transport.h"

#include <cstring>

#include "devices/virtio/core/virtio_spec.h"
#include "gtest/gtest.h"

namespace vmm {
namespace virtio {
namespace {

// A minimal device: 2 queues, 8 bytes of config, records activation.
class TinyDevice : public VirtioDevice {
 public:
  absl::string_view name() const override { return "tiny"; }
  uint32_t device_id() const override { return 42; }
  uint16_t num_queues() const override { return 2; }
  uint16_t max_queue_size() const override { return 64; }
  uint64_t device_features() const override { return Bit(kFVersion1) | Bit(3); }
  uint32_t config_size() const override { return 8; }
  void ReadConfig(uint32_t offset, absl::Span<uint8_t> data) const override {
    std::memcpy(data.data(), config_ + offset, data.size());
  }
  void WriteConfig(uint32_t offset, absl::Span<const uint8_t> data) override {
    std::memcpy(config_ + offset, data.data(), data.size());
  }
  absl::Status Activate(Activation a) override {
    active_ = true;
    queues_ = a.queues.size();
    features_ = a.features;
    link_ = a.link;
    return absl::OkStatus();
  }
  bool activated() const override { return active_; }
  void Notify(uint16_t index) override { notified_.push_back(index); }
  void Reset() override { active_ = false; }

  uint8_t config_[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  bool active_ = false;
  size_t queues_ = 0;
  uint64_t features_ = 0;
  VirtioTransportLink* link_ = nullptr;
  std::vector<uint16_t> notified_;
};

class MmioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_ = std::move(*GuestMemory::Create({{GuestAddress(0), 1 << 20}}));
    dev_ = std::make_shared<TinyDevice>();
    irq_ = std::make_shared<RecordingInterruptLine>();
    t_ = std::make_unique<VirtioMmioTransport>(dev_, mem_.get(), irq_);
  }
  uint32_t R(uint64_t off) {
    uint32_t v = 0;
    t_->Read(off, absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&v), 4));
    return v;
  }
  void W(uint64_t off, uint32_t v) {
    t_->Write(off, absl::Span<const uint8_t>(reinterpret_cast<uint8_t*>(&v), 4));
  }
  void SetupQueue(uint32_t q) {
    W(mmio::kQueueSel, q);
    W(mmio::kQueueNum, 16);
    W(mmio::kQueueDescLow, 0x1000 + 0x1000 * q);
    W(mmio::kQueueDriverLow, 0x1400 + 0x1000 * q);
    W(mmio::kQueueDeviceLow, 0x1800 + 0x1000 * q);
    W(mmio::kQueueReady, 1);
  }
  std::unique_ptr<GuestMemory> mem_;
  std::shared_ptr<TinyDevice> dev_;
  std::shared_ptr<RecordingInterruptLine> irq_;
  std::unique_ptr<VirtioMmioTransport> t_;
};

TEST_F(MmioTest, IdentityRegisters) {
  EXPECT_EQ(R(mmio::kMagicValue), 0x74726976u);
  EXPECT_EQ(R(mmio::kVersion), 2u);
  EXPECT_EQ(R(mmio::kDeviceId), 42u);
  EXPECT_EQ(R(mmio::kVendorId), mmio::kVendor);
  EXPECT_EQ(R(mmio::kShmLenLow), 0xffffffffu);
  // Registers need aligned 32-bit accesses.
  uint16_t half = 0xabcd;
  t_->Read(mmio::kMagicValue, absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&half), 2));
  EXPECT_EQ(half, 0);
  EXPECT_EQ(R(mmio::kMagicValue + 1), 0u);
}

TEST_F(MmioTest, FeatureWindows) {
  W(mmio::kDeviceFeaturesSel, 0);
  EXPECT_EQ(R(mmio::kDeviceFeatures), 1u << 3);
  W(mmio::kDeviceFeaturesSel, 1);
  EXPECT_EQ(R(mmio::kDeviceFeatures), 1u);
  W(mmio::kDeviceFeaturesSel, 7);
  EXPECT_EQ(R(mmio::kDeviceFeatures), 0u);
}

TEST_F(MmioTest, ConfigSpaceBoundsAndWidths) {
  uint8_t b = 0;
  t_->Read(mmio::kConfig + 7, absl::Span<uint8_t>(&b, 1));
  EXPECT_EQ(b, 8);
  uint64_t q = 0;
  t_->Read(mmio::kConfig, absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&q), 8));
  EXPECT_EQ(q, 0x0807060504030201ull);
  uint32_t past = 0xffffffff;
  t_->Read(mmio::kConfig + 6, absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&past), 4));
  EXPECT_EQ(past, 0u);  // Straddles the end: reads zero, no overrun.
  t_->Read(mmio::kConfig + 0xe00, absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&past), 4));
  EXPECT_EQ(past, 0u);
  uint32_t v = 0x11223344;
  t_->Write(mmio::kConfig + 6, absl::Span<const uint8_t>(reinterpret_cast<uint8_t*>(&v), 4));
  EXPECT_EQ(dev_->config_[6], 7);  // Dropped.
}

TEST_F(MmioTest, HandshakeActivatesWithReadyQueues) {
  W(mmio::kStatus, 1);
  W(mmio::kStatus, 3);
  W(mmio::kDriverFeaturesSel, 1);
  W(mmio::kDriverFeatures, 1);
  W(mmio::kStatus, 3 | 8);
  EXPECT_EQ(R(mmio::kStatus), 11u);
  W(mmio::kQueueSel, 5);
  EXPECT_EQ(R(mmio::kQueueNumMax), 0u);  // No such queue.
  SetupQueue(1);
  EXPECT_EQ(R(mmio::kQueueNumMax), 64u);
  EXPECT_EQ(R(mmio::kQueueReady), 1u);
  W(mmio::kStatus, 15);
  EXPECT_TRUE(dev_->active_);
  EXPECT_EQ(dev_->queues_, 1u);  // Queue 0 was never made ready.
  EXPECT_EQ(dev_->features_, Bit(kFVersion1));
  // Feature and queue writes after DRIVER_OK are ignored.
  W(mmio::kDriverFeaturesSel, 0);
  W(mmio::kDriverFeatures, 8);
  W(mmio::kQueueSel, 1);
  W(mmio::kQueueNum, 32);
  W(mmio::kStatus, 0);
  EXPECT_FALSE(dev_->active_);
  EXPECT_EQ(R(mmio::kStatus), 0u);
  EXPECT_EQ(R(mmio::kQueueReady), 0u);
}

TEST_F(MmioTest, NotifyOnlyAfterDriverOkAndForRealQueues) {
  W(mmio::kQueueNotify, 0);
  EXPECT_TRUE(dev_->notified_.empty());
  W(mmio::kStatus, 3);
  W(mmio::kDriverFeaturesSel, 1);
  W(mmio::kDriverFeatures, 1);
  W(mmio::kStatus, 11);
  SetupQueue(0);
  W(mmio::kStatus, 15);
  W(mmio::kQueueNotify, 0);
  W(mmio::kQueueNotify, 9);
  EXPECT_EQ(dev_->notified_, std::vector<uint16_t>{0});
}

TEST_F(MmioTest, InterruptStatusAckAndLevel) {
  W(mmio::kStatus, 3);
  W(mmio::kDriverFeaturesSel, 1);
  W(mmio::kDriverFeatures, 1);
  W(mmio::kStatus, 11);
  SetupQueue(0);
  W(mmio::kStatus, 15);
  ASSERT_NE(dev_->link_, nullptr);
  const uint32_t gen = R(mmio::kConfigGeneration);
  dev_->link_->SignalUsed(0);
  dev_->link_->SignalConfigChange();
  EXPECT_EQ(R(mmio::kInterruptStatus), 3u);
  EXPECT_NE(R(mmio::kConfigGeneration), gen);
  EXPECT_TRUE(irq_->level());
  W(mmio::kInterruptAck, 1);
  EXPECT_TRUE(irq_->level());
  W(mmio::kInterruptAck, 2);
  EXPECT_FALSE(irq_->level());
  dev_->link_->MarkNeedsReset("test");
  EXPECT_TRUE(R(mmio::kStatus) & kStatusDeviceNeedsReset);
  EXPECT_EQ(R(mmio::kInterruptStatus), 2u);
  // The driver cannot clear DEVICE_NEEDS_RESET except by reset.
  W(mmio::kStatus, 15);
  EXPECT_TRUE(R(mmio::kStatus) & kStatusDeviceNeedsReset);
  W(mmio::kStatus, 0);
  EXPECT_EQ(R(mmio::kStatus), 0u);
  EXPECT_EQ(R(mmio::kInterruptStatus), 0u);
  EXPECT_FALSE(irq_->level());
}

TEST_F(MmioTest, StatusBitsCannotBeClearedWithoutReset) {
  W(mmio::kStatus, 3);
  W(mmio::kStatus, 1);
  EXPECT_EQ(R(mmio::kStatus), 3u);
}

}  // namespace
}  // namespace virtio
}  // namespace vmm
