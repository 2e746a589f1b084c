// virtio-pci modern, driven like a guest: config mechanism #1 / ECAM to
// find the function and its capabilities, BAR 0 through the MMIO window,
// MSI-X and INTx interrupts, with a real virtio-blk on a temp file behind.

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "devices/virtio/block/blk_spec.h"
#include "devices/virtio/block/block_device.h"
#include "devices/virtio/core/virtio_spec.h"
#include "devices/virtio/pci/pci_root.h"
#include "devices/virtio/pci/virtio_pci_transport.h"
#include "devices/virtio/queue/virtio_ring.h"
#include "gtest/gtest.h"

namespace vmm {
namespace virtio {
namespace {

constexpr uint64_t kWindow = 0xe0000000;
constexpr int kSlot = 3;

// Records what the transport tells the machine: the routes it asks for and
// the messages its Signal() calls would deliver on them.
class RecordingMsi : public pci::MsixVectorSink {
 public:
  struct RouteState {
    uint64_t address = 0;
    uint32_t data = 0;
    bool deliverable = false;
  };
  void Route(uint16_t vector, uint64_t address, uint32_t data, bool deliverable) override {
    std::lock_guard<std::mutex> l(mu_);
    routes_[vector] = {address, data, deliverable};
  }
  void Signal(uint16_t vector) override {
    std::lock_guard<std::mutex> l(mu_);
    const RouteState r = routes_[vector];
    if (!r.deliverable) ++undeliverable_signals_;
    sent_.push_back({r.address, r.data});
  }
  size_t count() {
    std::lock_guard<std::mutex> l(mu_);
    return sent_.size();
  }
  std::pair<uint64_t, uint32_t> last() {
    std::lock_guard<std::mutex> l(mu_);
    return sent_.back();
  }
  RouteState route(uint16_t vector) {
    std::lock_guard<std::mutex> l(mu_);
    return routes_[vector];
  }
  int undeliverable_signals() {
    std::lock_guard<std::mutex> l(mu_);
    return undeliverable_signals_;
  }

 private:
  std::mutex mu_;
  std::map<uint16_t, RouteState> routes_;
  std::vector<std::pair<uint64_t, uint32_t>> sent_;
  int undeliverable_signals_ = 0;
};

class VirtioPciTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = getenv("TEST_TMPDIR");
    path_ = std::string(dir ? dir : "/tmp") + "/pciblkXXXXXX";
    int fd = ::mkstemp(path_.data());
    ASSERT_GE(fd, 0);
    std::vector<uint8_t> content(1 << 20);
    for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<uint8_t>(i * 3);
    ASSERT_EQ(::pwrite(fd, content.data(), content.size(), 0),
              static_cast<ssize_t>(content.size()));
    ::close(fd);
    mem_ = std::move(*GuestMemory::Create({{GuestAddress(0), 16 << 20}}));
    BlockDeviceOptions o;
    o.path = path_;
    o.num_queues = 2;
    dev_ = std::shared_ptr<BlockDevice>(std::move(*BlockDevice::Create(o)));
    msi_ = std::make_shared<RecordingMsi>();
    intx_ = std::make_shared<RecordingInterruptLine>();
    fn_ = std::make_shared<VirtioPciTransport>(dev_, mem_.get(), msi_, intx_);
    root_ = std::make_unique<pci::PciRoot>(kWindow, 0x10000000);
    ASSERT_TRUE(root_->AddFunction(kSlot, fn_).ok());
  }
  void TearDown() override {
    fn_.reset();
    root_.reset();
    ::unlink(path_.c_str());
  }

  uint32_t Cfg32(uint32_t reg) {
    uint32_t a = 0x80000000u | (kSlot << 11) | (reg & 0xfc);
    root_->ConfigIo()->Write(0, absl::Span<const uint8_t>(reinterpret_cast<uint8_t*>(&a), 4));
    uint32_t v = 0;
    root_->ConfigIo()->Read(4, absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&v), 4));
    return v;
  }
  void CfgW32(uint32_t reg, uint32_t v) {
    uint32_t a = 0x80000000u | (kSlot << 11) | (reg & 0xfc);
    root_->ConfigIo()->Write(0, absl::Span<const uint8_t>(reinterpret_cast<uint8_t*>(&a), 4));
    root_->ConfigIo()->Write(4, absl::Span<const uint8_t>(reinterpret_cast<uint8_t*>(&v), 4));
  }
  template <typename T>
  T Mmio(uint64_t addr) {
    T v{};
    root_->MmioWindow()->Read(addr - kWindow,
                              absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&v), sizeof(T)));
    return v;
  }
  template <typename T>
  void MmioW(uint64_t addr, T v) {
    root_->MmioWindow()->Write(
        addr - kWindow, absl::Span<const uint8_t>(reinterpret_cast<uint8_t*>(&v), sizeof(T)));
  }
  // Walks the capability list: cfg_type -> (cap offset).
  std::map<int, uint32_t> VirtioCaps() {
    std::map<int, uint32_t> caps;
    uint32_t at = Cfg32(0x34) & 0xff;
    for (int guard = 0; at != 0 && guard < 48; ++guard) {
      const uint32_t head = Cfg32(at);
      if ((head & 0xff) == pci::kCapIdVendor) caps[(head >> 24) & 0xff] = at;
      if ((head & 0xff) == pci::kCapIdMsix) caps[100] = at;
      at = (head >> 8) & 0xff;
    }
    return caps;
  }
  uint64_t Bar0() { return (uint64_t{Cfg32(0x14)} << 32) | (Cfg32(0x10) & ~0xfu); }

  std::string path_;
  std::unique_ptr<GuestMemory> mem_;
  std::shared_ptr<BlockDevice> dev_;
  std::shared_ptr<RecordingMsi> msi_;
  std::shared_ptr<RecordingInterruptLine> intx_;
  std::shared_ptr<VirtioPciTransport> fn_;
  std::unique_ptr<pci::PciRoot> root_;
};

TEST_F(VirtioPciTest, IdentityAndCapabilities) {
  EXPECT_EQ(Cfg32(0x00), 0x1042u << 16 | 0x1af4u);  // virtio-blk modern
  EXPECT_EQ(Cfg32(0x08) >> 8, 0x018000u);
  EXPECT_EQ(Cfg32(0x08) & 0xff, 1u);      // Revision 1: modern only.
  EXPECT_TRUE(Cfg32(0x04) & (1u << 20));  // Status: capability list.
  auto caps = VirtioCaps();
  for (int t : {1, 2, 3, 4, 5, 100}) EXPECT_TRUE(caps.count(t)) << t;
  EXPECT_EQ(Cfg32(caps[2] + 16), vpci::kNotifyOffMultiplier);
  EXPECT_EQ(Cfg32(caps[1] + 8), vpci::kCommonCfg);
  // MSI-X: table size 3 (2 queues + config), table and PBA in BAR 0.
  EXPECT_EQ((Cfg32(caps[100]) >> 16) & 0x7ff, 2u);
  EXPECT_EQ(Cfg32(caps[100] + 4), vpci::kMsixTable);
  // Empty slot and host bridge.
  uint32_t a = 0x80000000u | (9 << 11);
  root_->ConfigIo()->Write(0, absl::Span<const uint8_t>(reinterpret_cast<uint8_t*>(&a), 4));
  uint32_t v = 0;
  root_->ConfigIo()->Read(4, absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&v), 4));
  EXPECT_EQ(v, 0xffffffffu);
  uint32_t ecam = 0;
  root_->Ecam()->Read(0, absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&ecam), 4));
  EXPECT_EQ(ecam, 0x00081b36u);
  root_->Ecam()->Read(kSlot << 15, absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&ecam), 4));
  EXPECT_EQ(ecam, 0x10421af4u);
}

TEST_F(VirtioPciTest, BarSizingAndRelocation) {
  const uint64_t bar0 = Bar0();
  EXPECT_EQ(bar0, kWindow);
  CfgW32(0x10, 0xffffffff);
  CfgW32(0x14, 0xffffffff);
  EXPECT_EQ(Cfg32(0x10), static_cast<uint32_t>(~(vpci::kBar0Size - 1)) | 0x4);
  EXPECT_EQ(Cfg32(0x14), 0xffffffffu);
  // Move BAR 0 to window + 1 MiB: accesses follow.
  CfgW32(0x10, static_cast<uint32_t>(kWindow + 0x100000));
  CfgW32(0x14, 0);
  EXPECT_EQ(Mmio<uint16_t>(kWindow + 0x100000 + vpci::kNumQueues), 2);
  EXPECT_EQ(Mmio<uint16_t>(kWindow + vpci::kNumQueues), 0xffff);  // Nothing there now.
  // Memory decoding off: the BAR stops answering.
  CfgW32(0x04, 0);
  EXPECT_EQ(Mmio<uint16_t>(kWindow + 0x100000 + vpci::kNumQueues), 0xffff);
}

TEST_F(VirtioPciTest, BlockReadWithMsixThenIntx) {
  const uint64_t bar = Bar0();
  auto common = [&](uint32_t f) { return bar + vpci::kCommonCfg + f; };
  // Enable MSI-X; program vectors 0 (config) and 1 (queue 0).
  auto caps = VirtioCaps();
  const uint32_t ctl = Cfg32(caps[100]);
  CfgW32(caps[100], ctl | (0x8000u << 16));
  for (uint32_t v = 0; v < 3; ++v) {
    MmioW<uint64_t>(bar + vpci::kMsixTable + 16 * v, 0xfee00000 + v * 0x1000);
    MmioW<uint32_t>(bar + vpci::kMsixTable + 16 * v + 8, 0x40 + v);
    MmioW<uint32_t>(bar + vpci::kMsixTable + 16 * v + 12, 0);  // Unmask.
  }
  MmioW<uint8_t>(common(vpci::kDeviceStatus), 0);
  MmioW<uint8_t>(common(vpci::kDeviceStatus), 1 | 2);
  MmioW<uint32_t>(common(vpci::kDeviceFeatureSelect), 1);
  EXPECT_TRUE(Mmio<uint32_t>(common(vpci::kDeviceFeature)) & 1);  // VERSION_1
  MmioW<uint32_t>(common(vpci::kDriverFeatureSelect), 1);
  MmioW<uint32_t>(common(vpci::kDriverFeature), 1);
  MmioW<uint8_t>(common(vpci::kDeviceStatus), 1 | 2 | 8);
  ASSERT_EQ(Mmio<uint8_t>(common(vpci::kDeviceStatus)), 11);
  MmioW<uint16_t>(common(vpci::kConfigMsixVector), 0);
  EXPECT_EQ(Mmio<uint16_t>(common(vpci::kConfigMsixVector)), 0);
  MmioW<uint16_t>(common(vpci::kQueueSelect), 0);
  EXPECT_EQ(Mmio<uint16_t>(common(vpci::kQueueSize)), 256);
  MmioW<uint16_t>(common(vpci::kQueueSize), 16);
  MmioW<uint16_t>(common(vpci::kQueueMsixVector), 1);
  MmioW<uint16_t>(common(vpci::kQueueMsixVector), 1);
  const uint64_t desc = 0x10000, avail = 0x11000, used = 0x12000;
  // 64-bit fields written as two 32-bit halves, as Linux does.
  MmioW<uint32_t>(common(vpci::kQueueDesc), static_cast<uint32_t>(desc));
  MmioW<uint32_t>(common(vpci::kQueueDesc + 4), 0);
  MmioW<uint64_t>(common(vpci::kQueueDriver), avail);
  MmioW<uint64_t>(common(vpci::kQueueDevice), used);
  MmioW<uint16_t>(common(vpci::kQueueEnable), 1);
  MmioW<uint8_t>(common(vpci::kDeviceStatus), 15);
  ASSERT_TRUE(dev_->activated());

  auto request = [&](uint16_t n) {
    // A read of sector 2 into 0x20000: header, data, status.
    ASSERT_TRUE(mem_->WriteObj(GuestAddress(0x13000), BlkReqHeader{kBlkTIn, 0, 2}).ok());
    ASSERT_TRUE(
        mem_->WriteObj(GuestAddress(desc), VirtqDesc{0x13000, 16, kVirtqDescFNext, 1}).ok());
    ASSERT_TRUE(mem_->WriteObj(GuestAddress(desc + 16),
                               VirtqDesc{0x20000, 512, kVirtqDescFNext | kVirtqDescFWrite, 2})
                    .ok());
    ASSERT_TRUE(
        mem_->WriteObj(GuestAddress(desc + 32), VirtqDesc{0x14000, 1, kVirtqDescFWrite, 0}).ok());
    ASSERT_TRUE(mem_->WriteObj(GuestAddress(avail + 4 + 2 * (n - 1)), uint16_t{0}).ok());
    ASSERT_TRUE(mem_->WriteObj(GuestAddress(avail + 2), n).ok());
    const uint16_t notify_off = Mmio<uint16_t>(common(vpci::kQueueNotifyOff));
    MmioW<uint16_t>(bar + vpci::kNotifyCfg + notify_off * vpci::kNotifyOffMultiplier, 0);
    for (int i = 0; i < 5000 && mem_->ReadObj<uint16_t>(GuestAddress(used + 2)).value() != n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(mem_->ReadObj<uint16_t>(GuestAddress(used + 2)).value(), n);
    EXPECT_EQ(mem_->ReadObj<uint8_t>(GuestAddress(0x14000)).value(), kBlkSOk);
    EXPECT_EQ(mem_->ReadObj<uint8_t>(GuestAddress(0x20000 + 1)).value(),
              static_cast<uint8_t>((2 * 512 + 1) * 3));
  };
  request(1);
  for (int i = 0; i < 5000 && msi_->count() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(msi_->count(), 1u);
  EXPECT_EQ(msi_->last().first, 0xfee01000u);  // Vector 1.
  EXPECT_EQ(msi_->last().second, 0x41u);
  EXPECT_FALSE(intx_->level());

  // Mask vector 1: the next interrupt goes pending, then fires on unmask.
  MmioW<uint32_t>(bar + vpci::kMsixTable + 16 + 12, 1);
  EXPECT_FALSE(msi_->route(1).deliverable);  // The machine drops the route.
  EXPECT_TRUE(msi_->route(0).deliverable);
  request(2);
  for (int i = 0; i < 5000 && !(Mmio<uint8_t>(bar + vpci::kMsixPba) & 2); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(Mmio<uint8_t>(bar + vpci::kMsixPba) & 2, 2);
  EXPECT_EQ(msi_->count(), 1u);
  MmioW<uint32_t>(bar + vpci::kMsixTable + 16 + 12, 0);
  EXPECT_TRUE(msi_->route(1).deliverable);
  EXPECT_EQ(msi_->count(), 2u);
  EXPECT_EQ(msi_->last().first, 0xfee01000u);
  EXPECT_EQ(Mmio<uint8_t>(bar + vpci::kMsixPba), 0);

  // Disable MSI-X: INTx with the read-to-clear ISR.
  CfgW32(caps[100], ctl & 0xffff);
  for (uint16_t v = 0; v < 3; ++v) EXPECT_FALSE(msi_->route(v).deliverable) << v;
  request(3);
  for (int i = 0; i < 5000 && !intx_->level(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(intx_->level());
  EXPECT_EQ(Mmio<uint8_t>(bar + vpci::kIsrCfg), 1);
  EXPECT_FALSE(intx_->level());
  EXPECT_EQ(Mmio<uint8_t>(bar + vpci::kIsrCfg), 0);
  EXPECT_EQ(msi_->count(), 2u);
  EXPECT_EQ(msi_->undeliverable_signals(), 0);

  // Device config through BAR 0 and through the PCI cfg access window.
  uint64_t cap = Mmio<uint64_t>(bar + vpci::kDeviceCfg);
  EXPECT_EQ(cap, 2048u);
  const uint32_t pcfg = caps[5];
  CfgW32(pcfg + 4, 0);                 // bar 0 (+ id, padding)
  CfgW32(pcfg + 8, vpci::kDeviceCfg);  // offset
  CfgW32(pcfg + 12, 4);                // length
  EXPECT_EQ(Cfg32(pcfg + 16), 2048u);

  // Reset through the common config clears vectors and deactivates.
  MmioW<uint8_t>(common(vpci::kDeviceStatus), 0);
  EXPECT_FALSE(dev_->activated());
  EXPECT_EQ(Mmio<uint16_t>(common(vpci::kConfigMsixVector)), vpci::kNoVector);
}

}  // namespace
}  // namespace virtio
}  // namespace vmm
