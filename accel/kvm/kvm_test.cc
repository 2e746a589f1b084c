// Runs real code on the real /dev/kvm: exits come back as VcpuExit values.
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "accel/kvm/kvm_test_fixture.h"
#include "accel/kvm/kvm_vcpu.h"
#include "accel/kvm/kvm_vm.h"
#include "gtest/gtest.h"

namespace vmm {
namespace {

// 16-bit code loaded at 0x10000 (assembled with GNU as):
//   mov $0x3f8,%dx; mov $0x41,%al; out %al,(%dx); in (%dx),%al
//   mov $0x9000,%ax; mov %ax,%ds; movw $0xbeef,(0x10); mov (0x20),%ax; hlt
constexpr uint8_t kCode[] = {0xba, 0xf8, 0x03, 0xb0, 0x41, 0xee, 0xec, 0xb8, 0x00, 0x90, 0x8e,
                             0xd8, 0xc7, 0x06, 0x10, 0x00, 0xef, 0xbe, 0xa1, 0x20, 0x00, 0xf4};

class KvmTest : public KvmVmTest {
 protected:
  void SetUp() override {
    KvmVmTest::SetUp();
    if (HasFatalFailure()) return;
    // RAM below 512 KiB only, so 0x90000 is MMIO.
    auto mem = GuestMemory::Create({{GuestAddress(0), 0x80000}});
    ASSERT_TRUE(mem.ok());
    mem_ = std::move(*mem);
    ASSERT_TRUE(mem_->Write(GuestAddress(0x10000), kCode).ok());
    ASSERT_TRUE(vm_->MapMemory(*mem_).ok());
    auto vcpu = CreateVcpu(0);
    ASSERT_TRUE(vcpu.ok()) << vcpu.status();
    vcpu_ = std::move(*vcpu);
    ASSERT_TRUE(vcpu_->SetCpuid(kvm_->supported_cpuid(), 1).ok());
    ASSERT_TRUE(vcpu_->SetupLapicLints(true).ok());
    ASSERT_TRUE(vcpu_->SetRealModeEntry(0x1000, 0).ok());
  }

  VcpuExit MustRun() {
    auto exit = vcpu_->Run();
    EXPECT_TRUE(exit.ok()) << exit.status();
    return exit.ok() ? *exit : VcpuExit{};
  }

  std::unique_ptr<GuestMemory> mem_;
  std::unique_ptr<KvmVcpu> vcpu_;
};

TEST_F(KvmTest, ReportsCapabilities) {
  EXPECT_GE(kvm_->max_vcpus(), 1u);
  EXPECT_FALSE(kvm_->supported_cpuid().empty());
  EXPECT_GE(kvm_->vcpu_mmap_size(), sizeof(kvm_run));
}

TEST_F(KvmTest, PioMmioAndKick) {
  VcpuExit exit = MustRun();
  ASSERT_EQ(exit.kind, VcpuExit::Kind::kIoOut) << exit.detail;
  EXPECT_EQ(exit.address, 0x3f8u);
  EXPECT_EQ(exit.size, 1u);
  ASSERT_EQ(exit.data.size(), 1u);
  EXPECT_EQ(exit.data[0], 'A');

  exit = MustRun();
  ASSERT_EQ(exit.kind, VcpuExit::Kind::kIoIn);
  EXPECT_EQ(exit.address, 0x3f8u);
  exit.data[0] = 0x5a;

  exit = MustRun();
  ASSERT_EQ(exit.kind, VcpuExit::Kind::kMmioWrite) << VcpuExitKindName(exit.kind);
  EXPECT_EQ(exit.address, 0x90010u);
  ASSERT_EQ(exit.size, 2u);
  EXPECT_EQ(exit.data[0], 0xef);
  EXPECT_EQ(exit.data[1], 0xbe);

  exit = MustRun();
  ASSERT_EQ(exit.kind, VcpuExit::Kind::kMmioRead);
  EXPECT_EQ(exit.address, 0x90020u);
  exit.data[0] = 0x34;
  exit.data[1] = 0x12;

  // Now the guest halts; the in-kernel irqchip keeps it inside KVM_RUN
  // until we kick it from another thread.
  std::thread kicker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    vcpu_->Kick();
  });
  exit = MustRun();
  kicker.join();
  EXPECT_EQ(exit.kind, VcpuExit::Kind::kInterrupted);
  std::string state = vcpu_->DescribeState();
  EXPECT_NE(state.find("rip=0x16"), std::string::npos) << state;  // After hlt.
  // The exit history, oldest first, ends with the kick.
  EXPECT_NE(state.find("exits=5 last=[out:0x3f8 in:0x3f8 mmio_w:0x90010 mmio_r:0x90020 intr]"),
            std::string::npos)
      << state;
  EXPECT_NE(state.find("idtr="), std::string::npos) << state;

  kvm_regs regs{};
  ASSERT_EQ(ioctl(vcpu_->fd(), KVM_GET_REGS, &regs), 0);
  EXPECT_EQ(regs.rax & 0xffff, 0x1234u);  // The MMIO read result arrived.
}

TEST_F(KvmTest, KickBeforeRunIsNotLost) {
  vcpu_->Kick();
  VcpuExit exit = MustRun();
  EXPECT_EQ(exit.kind, VcpuExit::Kind::kInterrupted);
  exit = MustRun();
  EXPECT_EQ(exit.kind, VcpuExit::Kind::kIoOut);
}

TEST_F(KvmTest, IrqLine) {
  EXPECT_TRUE(vm_->SetIrqLine(4, true).ok());
  EXPECT_TRUE(vm_->SetIrqLine(4, false).ok());
}

TEST(KvmAcceleratorTest, RunsThroughTheInterfacesOnly) {
  auto accel = KvmAccelerator::Open();
  ASSERT_TRUE(accel.ok()) << accel.status();
  Accelerator* a = accel->get();
  EXPECT_STREQ(a->name(), "kvm");
  auto vm = a->CreateVm();
  ASSERT_TRUE(vm.ok()) << vm.status();
  // Reset state: CS base 0xffff0000, IP 0xfff0, so the first instruction is
  // at 0xfffffff0 (SDM vol. 3, §10.1.4). An `out %al, $0x80` there shows up
  // as a port exit.
  auto mem = GuestMemory::Create({{GuestAddress(0), 0x100000}, {GuestAddress(0xfffff000), 0x1000}});
  ASSERT_TRUE(mem.ok());
  const uint8_t code[] = {0xe6, 0x80, 0xf4};
  ASSERT_TRUE((*mem)->Write(GuestAddress(0xfffffff0), code).ok());
  ASSERT_TRUE((*vm)->MapMemory(**mem).ok());
  auto vcpu = (*vm)->CreateVcpu(0);
  ASSERT_TRUE(vcpu.ok()) << vcpu.status();
  auto exit = (*vcpu)->Run();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->kind, VcpuExit::Kind::kIoOut)
      << VcpuExitKindName(exit->kind) << " " << exit->detail;
  EXPECT_EQ(exit->address, 0x80u);
}

TEST(KvmOpenTest, MissingDeviceIsAClearError) {
  auto kvm = Kvm::Open("/nonexistent/kvm");
  ASSERT_FALSE(kvm.ok());
  EXPECT_NE(kvm.status().message().find("/nonexistent/kvm"), std::string::npos);
}

TEST(KvmOpenTest, FixtureHelperPassesTheOpenErrorOn) {
  auto opened = OpenKvmVm("/nonexistent/kvm");
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("/nonexistent/kvm"), std::string::npos);
}

}  // namespace
}  // namespace vmm
