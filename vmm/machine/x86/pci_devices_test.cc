// X86PciDevices against the real /dev/kvm: config space through port
// 0xCF8, BAR 0 in the window, and the queue ioeventfds following BAR 0.
#include "vmm/machine/x86/pci_devices.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "accel/kvm/kvm_vm.h"
#include "devices/virtio/block/block_device.h"
#include "gtest/gtest.h"
#include "vmm/base/fd.h"
#include "vmm/machine/x86/pci_kvm_rig.h"

namespace vmm {
namespace {

class PciDevicesTest : public PciKvmRig {
 protected:
  // KVM refuses a second ioeventfd with the same address, length and
  // datamatch (EEXIST): that tells us where ours is bound.
  bool IoeventfdBoundAt(uint64_t addr, uint16_t queue) {
    Fd probe(::eventfd(0, EFD_CLOEXEC));
    kvm_ioeventfd req{};
    req.addr = addr;
    req.len = 2;
    req.fd = probe.get();
    req.datamatch = queue;
    req.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
    if (::ioctl(vm_->fd(), KVM_IOEVENTFD, &req) == 0) {
      req.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
      ::ioctl(vm_->fd(), KVM_IOEVENTFD, &req);
      return false;
    }
    EXPECT_EQ(errno, EEXIST);
    return true;
  }

  std::shared_ptr<virtio::BlockDevice> Disk(uint16_t queues) {
    virtio::BlockDeviceOptions o;
    o.path = image_;
    o.read_only = true;  // Shared lock: several test disks may open it.
    o.num_queues = queues;
    auto d = virtio::BlockDevice::Create(o);
    EXPECT_TRUE(d.ok()) << d.status();
    return std::shared_ptr<virtio::BlockDevice>(std::move(*d));
  }

};

TEST_F(PciDevicesTest, HostBridgeAndDiskVisibleThroughPort0xcf8) {
  auto disk = Disk(2);
  auto slot = pci_->AttachVirtio(disk, [&](uint16_t q) { return disk->kick_fd(q); });
  ASSERT_TRUE(slot.ok()) << slot.status();
  EXPECT_EQ(*slot, 1);
  // Slot 0: a host bridge (class 06 00 00), what Linux's pci_sanity_check
  // looks for before it trusts mechanism #1.
  EXPECT_EQ(Cfg32(0, 0x08) >> 8, 0x060000u);
  EXPECT_EQ(Cfg32(1, 0x00), 0x10421af4u);  // virtio-blk, modern.
  EXPECT_EQ(Cfg32(2, 0x00), 0xffffffffu);  // Empty slot.
  // BAR 0: 64-bit memory BAR inside the window.
  const uint64_t bar = (Cfg32(1, 0x10) & ~0xfu) | (uint64_t{Cfg32(1, 0x14)} << 32);
  EXPECT_GE(bar, X86PciDevices::kWindowBase);
  EXPECT_LT(bar, X86PciDevices::kWindowBase + X86PciDevices::kWindowSize);
  // Interrupt line = the INTx GSI, pin A.
  EXPECT_EQ(Cfg32(1, 0x3c) & 0xffff, 0x0100u | X86PciDevices::kFirstIntxGsi);
  // The device is reachable in the window: common cfg num_queues.
  uint16_t nq = 0;
  ASSERT_TRUE(mmio_.Read(bar + virtio::vpci::kNumQueues,
                         absl::MakeSpan(reinterpret_cast<uint8_t*>(&nq), 2)));
  EXPECT_EQ(nq, 2);
}

TEST_F(PciDevicesTest, EcamReachesTheSameConfigSpace) {
  auto disk = Disk(1);
  ASSERT_TRUE(pci_->AttachVirtio(disk, [&](uint16_t q) { return disk->kick_fd(q); }).ok());
  auto ecam32 = [&](int slot, uint32_t reg) {
    uint32_t v = 0;
    EXPECT_TRUE(mmio_.Read(X86PciDevices::kEcamBase + (slot << 15) + reg,
                           absl::MakeSpan(reinterpret_cast<uint8_t*>(&v), 4)));
    return v;
  };
  EXPECT_EQ(ecam32(1, 0x00), 0x10421af4u);
  EXPECT_EQ(ecam32(1, 0x10), Cfg32(1, 0x10));
  EXPECT_EQ(ecam32(2, 0x00), 0xffffffffu);
  // A write through ECAM is seen through port 0xCF8 (interrupt line).
  const uint8_t line = 0x2a;
  ASSERT_TRUE(mmio_.Write(X86PciDevices::kEcamBase + (1 << 15) + 0x3c,
                          absl::MakeConstSpan(&line, 1)));
  EXPECT_EQ(Cfg32(1, 0x3c) & 0xff, 0x2au);
}

TEST_F(PciDevicesTest, IoeventfdsFollowBar0) {
  auto disk = Disk(2);
  ASSERT_TRUE(pci_->AttachVirtio(disk, [&](uint16_t q) { return disk->kick_fd(q); }).ok());
  const uint64_t bar = (Cfg32(1, 0x10) & ~0xfu) | (uint64_t{Cfg32(1, 0x14)} << 32);
  const uint64_t notify = bar + virtio::vpci::kNotifyCfg;
  EXPECT_TRUE(IoeventfdBoundAt(notify, 0));
  EXPECT_TRUE(IoeventfdBoundAt(notify + 4, 1));
  EXPECT_FALSE(IoeventfdBoundAt(notify + 8, 2));

  // Memory decoding off: unbound. On again: bound again.
  const uint32_t cmd = Cfg32(1, 0x04);
  SetCfg32(1, 0x04, cmd & ~0x2u);
  EXPECT_FALSE(IoeventfdBoundAt(notify, 0));
  SetCfg32(1, 0x04, cmd);
  EXPECT_TRUE(IoeventfdBoundAt(notify, 0));

  // The guest moves BAR 0 by 1 MiB: the kicks move with it.
  const uint64_t moved = bar + (1 << 20);
  SetCfg32(1, 0x10, static_cast<uint32_t>(moved) | (Cfg32(1, 0x10) & 0xf));
  EXPECT_FALSE(IoeventfdBoundAt(notify, 0));
  EXPECT_TRUE(IoeventfdBoundAt(moved + virtio::vpci::kNotifyCfg, 0));
  EXPECT_TRUE(IoeventfdBoundAt(moved + virtio::vpci::kNotifyCfg + 4, 1));
}

TEST_F(PciDevicesTest, SlotsAndGsisAreAssignedInOrder) {
  std::vector<std::shared_ptr<virtio::BlockDevice>> disks;
  for (int i = 0; i < 9; ++i) {
    disks.push_back(Disk(1));
    auto d = disks.back();
    auto slot = pci_->AttachVirtio(d, [d](uint16_t q) { return d->kick_fd(q); });
    ASSERT_TRUE(slot.ok()) << slot.status();
    EXPECT_EQ(*slot, i + 1);
    EXPECT_EQ(Cfg32(i + 1, 0x3c) & 0xff, X86PciDevices::kFirstIntxGsi + i % 8);
  }
  // BARs do not overlap.
  EXPECT_NE(Cfg32(1, 0x10) & ~0xfu, Cfg32(2, 0x10) & ~0xfu);
}

}  // namespace
}  // namespace vmm
