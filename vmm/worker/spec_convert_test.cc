#include "vmm/worker/spec_convert.h"

#include <utility>

#include "gtest/gtest.h"

namespace vmm::worker {
namespace {

TEST(ToMachineSpec, Payload) {
  v1::VmSpec spec;
  spec.set_arch(v1::X86_64);
  spec.set_vcpus(2);
  spec.set_memory_mib(16);
  spec.mutable_boot()->mutable_payload()->set_path("/x/hello.bin");
  absl::StatusOr<MachineSpec> m = ToMachineSpec(spec);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->arch, GuestArch::kX86_64);
  EXPECT_EQ(m->accel, AccelKind::kAuto);
  EXPECT_EQ(m->vcpus, 2u);
  EXPECT_EQ(m->memory_bytes, 16u << 20);
  EXPECT_EQ(m->payload_path, "/x/hello.bin");
  EXPECT_TRUE(m->kernel_path.empty());
}

TEST(ToMachineSpec, Kernel) {
  v1::VmSpec spec;
  spec.set_arch(v1::RISCV64);
  spec.set_accelerator(v1::TCG);
  spec.set_vcpus(1);
  spec.set_memory_mib(128);
  auto* k = spec.mutable_boot()->mutable_kernel();
  k->set_kernel_path("/k");
  k->set_initrd_path("/i");
  k->set_cmdline("console=ttyS0");
  k->set_firmware_path("/fw");
  absl::StatusOr<MachineSpec> m = ToMachineSpec(spec);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->arch, GuestArch::kRiscv64);
  EXPECT_EQ(m->accel, AccelKind::kTcg);
  EXPECT_EQ(m->kernel_path, "/k");
  EXPECT_EQ(m->initrd_path, "/i");
  EXPECT_EQ(m->cmdline, "console=ttyS0");
  EXPECT_EQ(m->firmware_path, "/fw");
  EXPECT_EQ(m->x86_entry, X86KernelEntry::k32Bit) << "the default";
}

TEST(ToMachineSpec, X86Entry) {
  v1::VmSpec spec;
  spec.set_arch(v1::X86_64);
  spec.set_vcpus(1);
  spec.set_memory_mib(128);
  auto* k = spec.mutable_boot()->mutable_kernel();
  k->set_kernel_path("/bzImage");
  const std::pair<v1::X86Entry, X86KernelEntry> cases[] = {
      {v1::X86_ENTRY_DEFAULT, X86KernelEntry::k32Bit},
      {v1::X86_ENTRY_32BIT, X86KernelEntry::k32Bit},
      {v1::X86_ENTRY_64BIT, X86KernelEntry::k64Bit},
  };
  for (const auto& [in, want] : cases) {
    k->set_x86_entry(in);
    absl::StatusOr<MachineSpec> m = ToMachineSpec(spec);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->x86_entry, want) << v1::X86Entry_Name(in);
  }
  k->set_x86_entry(static_cast<v1::X86Entry>(9));
  EXPECT_EQ(ToMachineSpec(spec).status().message(), "spec.boot.kernel.x86_entry=9: unknown");
}

TEST(ToMachineSpec, Disks) {
  v1::VmSpec spec;
  spec.set_arch(v1::X86_64);
  spec.set_vcpus(3);
  spec.set_memory_mib(64);
  spec.mutable_boot()->mutable_payload()->set_path("/p");
  v1::Disk* a = spec.add_disks();
  a->set_path("/a.raw");
  a->set_read_only(true);
  a->set_serial("SER-A");
  a->set_cache(v1::NONE);
  v1::Disk* b = spec.add_disks();
  b->set_path("/b.raw");
  b->set_num_queues(2);
  b->set_cache(v1::UNSAFE);
  absl::StatusOr<MachineSpec> m = ToMachineSpec(spec);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->disks.size(), 2u);
  EXPECT_EQ(m->disks[0].path, "/a.raw");
  EXPECT_TRUE(m->disks[0].read_only);
  EXPECT_EQ(m->disks[0].serial, "SER-A");
  EXPECT_EQ(m->disks[0].cache, DiskCache::kNone);
  EXPECT_EQ(m->disks[0].num_queues, 3u);  // 0: one per vCPU.
  EXPECT_EQ(m->disks[1].path, "/b.raw");
  EXPECT_FALSE(m->disks[1].read_only);
  EXPECT_EQ(m->disks[1].cache, DiskCache::kUnsafe);
  EXPECT_EQ(m->disks[1].num_queues, 2u);
  b->set_cache(v1::CACHE_MODE_UNSPECIFIED);
  m = ToMachineSpec(spec);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->disks[1].cache, DiskCache::kWriteback);
}

TEST(ToMachineSpec, RejectsWhatItCannotExpress) {
  v1::VmSpec spec;
  spec.set_vcpus(1);
  spec.set_memory_mib(1);
  spec.mutable_boot()->mutable_payload()->set_path("/p");
  EXPECT_TRUE(absl::IsInvalidArgument(ToMachineSpec(spec).status()));  // No arch.
  spec.set_arch(v1::X86_64);
  spec.set_memory_mib(uint64_t{1} << 50);
  EXPECT_TRUE(absl::IsInvalidArgument(ToMachineSpec(spec).status()));
  spec.set_memory_mib(1);
  spec.clear_boot();
  EXPECT_EQ(ToMachineSpec(spec).status().message(), "spec.boot: set a kernel or a payload");
}

}  // namespace
}  // namespace vmm::worker
