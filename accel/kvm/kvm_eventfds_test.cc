// irqfd and ioeventfd against the real /dev/kvm.
#include "accel/kvm/kvm_eventfds.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "accel/kvm/kvm_test_fixture.h"
#include "accel/kvm/kvm_vcpu.h"
#include "accel/kvm/kvm_vm.h"
#include "gtest/gtest.h"

namespace vmm {
namespace {

class KvmEventfdsTest : public KvmVmTest {
 protected:
  uint8_t MasterPicIrr() {
    kvm_irqchip chip{};
    chip.chip_id = KVM_IRQCHIP_PIC_MASTER;
    EXPECT_EQ(::ioctl(vm_->fd(), KVM_GET_IRQCHIP, &chip), 0);
    return chip.chip.pic.irr;
  }
};

TEST_F(KvmEventfdsTest, IrqfdRaisesThePicInput) {
  auto irqfd = KvmIrqfd::Create(vm_->fd(), 5);
  ASSERT_TRUE(irqfd.ok()) << irqfd.status();
  EXPECT_EQ(MasterPicIrr() & (1 << 5), 0);
  (*irqfd)->Pulse();
  // The eventfd is consumed by a kernel worker; poll briefly.
  bool seen = false;
  for (int i = 0; i < 1000 && !seen; ++i) {
    seen = MasterPicIrr() & (1 << 5);
    if (!seen) usleep(1000);
  }
  EXPECT_TRUE(seen);
}

TEST_F(KvmEventfdsTest, IoeventfdSwallowsMatchingWrites) {
  auto mem = GuestMemory::Create({{GuestAddress(0), 0x100000}});
  ASSERT_TRUE(mem.ok());
  // out %al,$0x70 would be the RTC; use an unclaimed port:
  //   mov $0x710,%dx; mov $1,%al; out %al,(%dx); mov $2,%al; out %al,(%dx);
  //   out %al,$0x80
  const uint8_t code[] = {0xba, 0x10, 0x07, 0xb0, 0x01, 0xee, 0xb0, 0x02, 0xee, 0xe6, 0x80, 0xf4};
  ASSERT_TRUE((*mem)->Write(GuestAddress(0x10000), code).ok());
  ASSERT_TRUE(vm_->MapMemory(**mem).ok());
  auto io = KvmIoeventfd::Create(vm_->fd(), KvmIoeventfd::Space::kPio, 0x710, 1, 1);
  ASSERT_TRUE(io.ok()) << io.status();
  auto vcpu = CreateVcpu(0);
  ASSERT_TRUE(vcpu.ok()) << vcpu.status();
  ASSERT_TRUE((*vcpu)->SetCpuid(kvm_->supported_cpuid(), 1).ok());
  ASSERT_TRUE((*vcpu)->SetRealModeEntry(0x1000, 0).ok());
  // The write of 1 matches and stays in the kernel; the write of 2 does not
  // match and exits like any port write.
  auto exit = (*vcpu)->Run();
  ASSERT_TRUE(exit.ok());
  ASSERT_EQ(exit->kind, VcpuExit::Kind::kIoOut);
  EXPECT_EQ(exit->address, 0x710u);
  EXPECT_EQ(exit->data[0], 2);
  EXPECT_EQ((*io)->Consume(), 1u);
  EXPECT_EQ((*io)->Consume(), 0u);
  exit = (*vcpu)->Run();
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->address, 0x80u);
}

TEST_F(KvmEventfdsTest, IoeventfdRejectsBadLength) {
  auto io = KvmIoeventfd::Create(vm_->fd(), KvmIoeventfd::Space::kMmio, 0xd0001000, 3);
  ASSERT_FALSE(io.ok());
  EXPECT_NE(io.status().message().find("len=3"), std::string::npos);
}

}  // namespace
}  // namespace vmm
