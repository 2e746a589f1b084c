// Test fixture shared by the X86PciDevices tests on the real /dev/kvm: a VM,
// 16 MiB of guest RAM, the PIO and MMIO buses, the PCI host bridge with its
// devices, and a 1 MiB scratch image for virtio-blk. Config space is
// reached the way a guest reaches it: configuration mechanism #1 on ports
// 0xCF8/0xCFC.
#ifndef VMM_MACHINE_X86_PCI_KVM_RIG_H_
#define VMM_MACHINE_X86_PCI_KVM_RIG_H_

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/types/span.h"
#include "accel/kvm/kvm_test_fixture.h"
#include "accel/kvm/kvm_vm.h"
#include "gtest/gtest.h"
#include "vmm/base/fd.h"
#include "vmm/machine/x86/pci_devices.h"

namespace vmm {

class PciKvmRig : public KvmVmTest {
 protected:
  void SetUp() override {
    KvmVmTest::SetUp();
    if (HasFatalFailure()) return;
    auto mem = GuestMemory::Create({{GuestAddress(0), 16 << 20}});
    ASSERT_TRUE(mem.ok());
    memory_ = std::move(*mem);
    auto pci = X86PciDevices::Create(vm_.get(), memory_.get(), &pio_, &mmio_);
    ASSERT_TRUE(pci.ok()) << pci.status();
    pci_ = std::move(*pci);

    const char* tmp = std::getenv("TEST_TMPDIR");
    image_ = std::string(tmp ? tmp : "/tmp") + "/pci_kvm_rig.XXXXXX";
    Fd fd(::mkstemp(image_.data()));
    ASSERT_TRUE(fd);
    ASSERT_EQ(::ftruncate(fd.get(), 1 << 20), 0);
  }
  void TearDown() override { ::unlink(image_.c_str()); }

  uint32_t Cfg32(int slot, uint32_t reg) {
    SelectCfg(slot, reg);
    uint32_t v = 0;
    EXPECT_TRUE(pio_.Read(0xcfc, absl::MakeSpan(reinterpret_cast<uint8_t*>(&v), 4)));
    return v;
  }
  void SetCfg32(int slot, uint32_t reg, uint32_t v) {
    SelectCfg(slot, reg);
    EXPECT_TRUE(pio_.Write(0xcfc, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(&v), 4)));
  }

  std::unique_ptr<GuestMemory> memory_;
  Bus pio_{"pio"};
  Bus mmio_{"mmio"};
  std::unique_ptr<X86PciDevices> pci_;
  std::string image_;

 private:
  void SelectCfg(int slot, uint32_t reg) {
    const uint32_t addr = 0x80000000u | (slot << 11) | (reg & 0xfc);
    EXPECT_TRUE(pio_.Write(0xcf8, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(&addr), 4)));
  }
};

}  // namespace vmm

#endif  // VMM_MACHINE_X86_PCI_KVM_RIG_H_
