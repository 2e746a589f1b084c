#include "accel/kvm/x86_cpuid.h"

#include <cstring>

#include "accel/kvm/kvm_test_fixture.h"
#include "accel/kvm/kvm_vcpu.h"
#include "accel/kvm/kvm_vm.h"
#include "gtest/gtest.h"

namespace vmm {
namespace {

kvm_cpuid_entry2 E(uint32_t f, uint32_t i, uint32_t a, uint32_t b, uint32_t c, uint32_t d,
                   bool indexed = false) {
  kvm_cpuid_entry2 e{};
  e.function = f;
  e.index = i;
  e.flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
  e.eax = a;
  e.ebx = b;
  e.ecx = c;
  e.edx = d;
  return e;
}

const kvm_cpuid_entry2* Find(const std::vector<kvm_cpuid_entry2>& t, uint32_t f, uint32_t i = 0) {
  for (const auto& e : t) {
    if (e.function == f && (!(e.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e.index == i)) return &e;
  }
  return nullptr;
}

// An Intel-like supported table: max leaf 0x1f, host topology in 0xB that
// must not leak, leaf 4 with L1d and L3, XSAVE x87|SSE|AVX|AVX-512 (5..7).
std::vector<kvm_cpuid_entry2> IntelTable() {
  return {
      E(0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69),  // GenuineIntel
      E(1, 0, 0x806f8, 0xff200800, 0x7ffafbff, 0x0fabfbff),
      E(4, 0, 0xfc004121, 0, 0, 0, true), E(4, 1, 0xfc0fc163, 0, 0, 0, true),
      E(4, 2, 0, 0, 0, 0, true),
      E(0xb, 0, 1, 2, 0x100, 7, true), E(0xb, 1, 7, 112, 0x201, 7, true),
      E(0xd, 0, 0xe7, 0x2b00, 0x2b00, 0, true), E(0xd, 1, 0xf, 0, 0, 0, true),
      E(0xd, 2, 256, 576, 0, 0, true), E(0xd, 5, 64, 1088, 0, 0, true),
      E(0xd, 6, 512, 1152, 0, 0, true), E(0xd, 7, 1024, 1664, 0, 0, true),
      E(0x1f, 0, 1, 2, 0x100, 7, true),
      E(0x40000000, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d),  // KVMKVMKVM
      E(0x80000008, 0, 0x3030, 0, 0, 0),
  };
}

TEST(X86CpuidTest, CoreIdBits) {
  EXPECT_EQ(CoreIdBits(1), 0u);
  EXPECT_EQ(CoreIdBits(2), 1u);
  EXPECT_EQ(CoreIdBits(3), 2u);
  EXPECT_EQ(CoreIdBits(4), 2u);
  EXPECT_EQ(CoreIdBits(64), 6u);
}

TEST(X86CpuidTest, IntelTopologyOneSocketNCores) {
  const auto t = BuildVcpuCpuid(IntelTable(), /*apic_id=*/2, /*num_vcpus=*/3);
  const auto* l1 = Find(t, 1);
  ASSERT_NE(l1, nullptr);
  EXPECT_EQ(l1->ebx >> 24, 2u);            // Initial APIC id.
  EXPECT_EQ((l1->ebx >> 16) & 0xff, 3u);   // Logical processors.
  EXPECT_EQ(l1->ebx & 0xffff, 0x0800u);    // CLFLUSH size etc. kept.
  EXPECT_NE(l1->edx & (1u << 28), 0u);     // HTT.
  EXPECT_NE(l1->ecx & (1u << 31), 0u);     // Hypervisor.
  // Leaf 4: 4 core ids (2 bits) per package; L1 per core, L3 shared by all.
  EXPECT_EQ(Find(t, 4, 0)->eax >> 26, 3u);
  EXPECT_EQ((Find(t, 4, 0)->eax >> 14) & 0xfff, 0u);
  EXPECT_EQ((Find(t, 4, 1)->eax >> 14) & 0xfff, 3u);
  EXPECT_EQ(Find(t, 4, 1)->eax & 0x3fff, 0x0163u);
  // 0xB and 0x1F: SMT level 1 thread, core level 3 cores, shift 2, end.
  for (uint32_t leaf : {0xbu, 0x1fu}) {
    int count = 0;
    for (const auto& e : t) count += e.function == leaf;
    EXPECT_EQ(count, 3) << "host subleaves must be replaced, leaf " << leaf;
    const auto* smt = Find(t, leaf, 0);
    const auto* core = Find(t, leaf, 1);
    const auto* end = Find(t, leaf, 2);
    ASSERT_TRUE(smt && core && end);
    EXPECT_EQ(smt->eax, 0u);
    EXPECT_EQ(smt->ebx, 1u);
    EXPECT_EQ(smt->ecx, 0x100u);
    EXPECT_EQ(core->eax, 2u);
    EXPECT_EQ(core->ebx, 3u);
    EXPECT_EQ(core->ecx, 0x201u);
    EXPECT_EQ((end->ecx >> 8) & 0xff, 0u);
    EXPECT_EQ(smt->edx, 2u);
    EXPECT_EQ(core->edx, 2u);
  }
  // XSAVE: max = AVX-512 ZMM_Hi256 end (1664 + 1024), not the host's
  // 0x2b00 (AMX etc.), for both the max and the all-enabled size.
  EXPECT_EQ(Find(t, 0xd, 0)->ecx, 2688u);
  EXPECT_EQ(Find(t, 0xd, 0)->ebx, 2688u);
  EXPECT_EQ(Find(t, 0xd, 0)->eax, 0xe7u);
  // Hypervisor leaf passes through; Intel 0x80000008 ECX untouched.
  ASSERT_NE(Find(t, 0x40000000), nullptr);
  EXPECT_EQ(Find(t, 0x40000000)->ebx, 0x4b4d564bu);
  EXPECT_EQ(Find(t, 0x80000008)->ecx, 0u);
}

TEST(X86CpuidTest, AmdTopologyLeaves) {
  std::vector<kvm_cpuid_entry2> amd = {
      E(0, 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65),  // AuthenticAMD
      E(1, 0, 0x830f10, 0x00010800, 0x7ed8320b, 0x178bfbff),
      E(0x80000001, 0, 0, 0, 0x75c237ff, 0x2fd3fbff),
      E(0x80000008, 0, 0x3030, 0, 0x0000703f, 0),  // Host: 64 cores.
      E(0x8000001e, 0, 0, 0, 0, 0),
  };
  const auto one = BuildVcpuCpuid(amd, 0, 1);
  EXPECT_EQ(Find(one, 1)->edx & (1u << 28), 0u);  // No HTT with one CPU.
  EXPECT_EQ(Find(one, 0x80000001)->ecx & 2u, 0u);
  EXPECT_EQ(Find(one, 0x80000008)->ecx & 0xf0ffu, 0u);
  const auto t = BuildVcpuCpuid(amd, 1, 2);
  ASSERT_NE(Find(t, 0xb, 1), nullptr);                // Max leaf 0xd reaches 0xb.
  EXPECT_EQ(Find(t, 0xb, 1)->ebx, 2u);
  EXPECT_NE(Find(t, 0x80000001)->ecx & 2u, 0u);       // CmpLegacy.
  EXPECT_EQ(Find(t, 0x80000008)->ecx & 0xff, 1u);     // NC = 2 - 1.
  EXPECT_EQ((Find(t, 0x80000008)->ecx >> 12) & 0xf, 1u);
  EXPECT_EQ(Find(t, 0x8000001e)->eax, 1u);            // Extended APIC id.
  EXPECT_EQ(Find(t, 0x8000001e)->ebx, 1u);            // Core 1, 1 thread.
  EXPECT_EQ(Find(t, 0x8000001e)->ecx, 0u);            // Node 0.
}

// What KVM takes and what the guest then reads: real-mode code on vCPU 1 of
// a 2-vCPU VM executes CPUID 1, 0xB.1 and 0xD.0, stores the registers at
// 0x10100 and leaves with `out %al, $0x80`.
//   mov $1,%eax; cpuid; mov %ebx,(0x100); mov %ecx,(0x114)
//   mov $0xb,%eax; mov $1,%ecx; cpuid; mov %eax,(0x104); mov %ebx,(0x108)
//   mov %edx,(0x10c); mov $0xd,%eax; xor %ecx,%ecx; cpuid; mov %ecx,(0x110)
constexpr uint8_t kCpuidCode[] = {
    0x66, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x0f, 0xa2, 0x66, 0x89, 0x1e, 0x00, 0x01, 0x66, 0x89,
    0x0e, 0x14, 0x01, 0x66, 0xb8, 0x0b, 0x00, 0x00, 0x00, 0x66, 0xb9, 0x01, 0x00, 0x00, 0x00,
    0x0f, 0xa2, 0x66, 0xa3, 0x04, 0x01, 0x66, 0x89, 0x1e, 0x08, 0x01, 0x66, 0x89, 0x16, 0x0c,
    0x01, 0x66, 0xb8, 0x0d, 0x00, 0x00, 0x00, 0x66, 0x31, 0xc9, 0x0f, 0xa2, 0x66, 0x89, 0x0e,
    0x10, 0x01, 0xe6, 0x80};

using X86CpuidKvmTest = KvmVmTest;

TEST_F(X86CpuidKvmTest, GuestSeesItsTopology) {
  auto mem = GuestMemory::Create({{GuestAddress(0), 0x80000}});
  ASSERT_TRUE(mem.ok());
  ASSERT_TRUE((*mem)->Write(GuestAddress(0x10000), kCpuidCode).ok());
  ASSERT_TRUE(vm_->MapMemory(**mem).ok());
  std::vector<std::unique_ptr<KvmVcpu>> vcpus;
  for (uint32_t id = 0; id < 2; ++id) {
    auto v = CreateVcpu(id);
    ASSERT_TRUE(v.ok()) << v.status();
    ASSERT_TRUE((*v)->SetCpuid(kvm_->supported_cpuid(), 2).ok());
    ASSERT_TRUE((*v)->SetBootMsrs(kvm_->msr_index_list()).ok());
    vcpus.push_back(std::move(*v));
  }
  KvmVcpu& v1 = *vcpus[1];
  ASSERT_TRUE(v1.SetRealModeEntry(0x1000, 0).ok());
  // An AP waits for INIT/SIPI with the in-kernel LAPIC: start it directly.
  ASSERT_TRUE(v1.SetMpState(KVM_MP_STATE_RUNNABLE).ok());
  auto exit = v1.Run();
  ASSERT_TRUE(exit.ok()) << exit.status();
  ASSERT_EQ(exit->kind, VcpuExit::Kind::kIoOut) << exit->detail << " " << v1.DescribeState();
  EXPECT_EQ(exit->address, 0x80u);
  uint32_t out[6];
  ASSERT_TRUE((*mem)->Read(GuestAddress(0x10100), absl::MakeSpan(
                                                      reinterpret_cast<uint8_t*>(out), sizeof(out)))
                  .ok());
  EXPECT_EQ(out[0] >> 24, 1u) << "leaf 1 APIC id";
  EXPECT_EQ((out[0] >> 16) & 0xff, 2u) << "leaf 1 logical count";
  EXPECT_NE(out[5] & (1u << 31), 0u) << "leaf 1 ECX hypervisor bit";
  if (kvm_->CheckExtension(KVM_CAP_TSC_DEADLINE_TIMER) > 0) {
    EXPECT_NE(out[5] & (1u << 24), 0u) << "leaf 1 ECX TSC-deadline timer (KVM has the capability)";
  }
  const auto expected = BuildVcpuCpuid(kvm_->supported_cpuid(), 1, 2);
  if (Find(expected, 0xb, 1) != nullptr) {
    EXPECT_EQ(out[1], 1u) << "0xB core level shift";
    EXPECT_EQ(out[2], 2u) << "0xB core level count";
    EXPECT_EQ(out[3], 1u) << "x2APIC id";
  }
  if (const auto* d = Find(expected, 0xd, 0)) {
    EXPECT_EQ(out[4], d->ecx) << "XSAVE max size";
  }
}

using X86MsrKvmTest = KvmVmTest;

TEST_F(X86MsrKvmTest, BootMsrsReadBack) {
  EXPECT_FALSE(kvm_->msr_index_list().empty());
  auto v = CreateVcpu(0);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE((*v)->SetCpuid(kvm_->supported_cpuid(), 1).ok());
  ASSERT_TRUE((*v)->SetBootMsrs(kvm_->msr_index_list()).ok());
  auto misc = (*v)->GetMsr(0x1a0);
  ASSERT_TRUE(misc.ok()) << misc.status();
  EXPECT_NE(*misc & 1u, 0u) << "IA32_MISC_ENABLE fast strings";
  auto mtrr = (*v)->GetMsr(0x2ff);
  ASSERT_TRUE(mtrr.ok()) << mtrr.status();
  EXPECT_EQ(*mtrr, 0x806u) << "MTRRdefType: enabled, write-back";
}

}  // namespace
}  // namespace vmm
