#include "api/validation.h"

#include "absl/strings/str_cat.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "gtest/gtest.h"
#include "vmm/worker/files.h"
#include "vmm/worker/scoped_temp_dir.h"

namespace vmm::api {
namespace {

class ValidateSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    ASSERT_TRUE(AtomicWriteFile(dir_ + "/p.bin", "x").ok());
    limits_.max_vcpus = 16;
    limits_.memory_mib = 1024;
    spec_.set_name("web1");
    spec_.set_arch(v1::X86_64);
    spec_.set_vcpus(2);
    spec_.set_memory_mib(64);
    spec_.mutable_boot()->mutable_payload()->set_path(dir_ + "/p.bin");
  }
  absl::Status Check() { return ValidateSpec(spec_, limits_); }

  ScopedTempDir temp_{"validation_test"};
  std::string dir_;
  HostLimits limits_;
  v1::VmSpec spec_;
};

TEST_F(ValidateSpecTest, GoodSpecPasses) { EXPECT_TRUE(Check().ok()) << Check(); }

TEST_F(ValidateSpecTest, Vcpus) {
  spec_.set_vcpus(0);
  EXPECT_EQ(Check().message(), "spec.vcpus=0: must be 1..16");
  EXPECT_TRUE(absl::IsInvalidArgument(Check()));
  spec_.set_vcpus(17);
  EXPECT_EQ(Check().message(), "spec.vcpus=17: must be 1..16");
  spec_.set_vcpus(16);
  EXPECT_TRUE(Check().ok());
}

TEST_F(ValidateSpecTest, Memory) {
  spec_.set_memory_mib(0);
  EXPECT_EQ(Check().message(), "spec.memory_mib=0: must be 1..1024 (the host's memory)");
  spec_.set_memory_mib(1025);
  EXPECT_TRUE(absl::IsInvalidArgument(Check()));
}

TEST_F(ValidateSpecTest, Names) {
  for (const char* bad : {"", "-a", ".a", "a b", "a/b", "ä"}) {
    spec_.set_name(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(Check())) << bad;
  }
  spec_.set_name(std::string(64, 'a'));
  EXPECT_TRUE(absl::IsInvalidArgument(Check()));
  spec_.set_name(std::string(63, 'a'));
  EXPECT_TRUE(Check().ok());
  spec_.set_name("A0._-z");
  EXPECT_TRUE(Check().ok());
}

TEST_F(ValidateSpecTest, ArchAndAccelerator) {
  spec_.set_arch(v1::ARCH_UNSPECIFIED);
  EXPECT_EQ(Check().message(), "spec.arch=ARCH_UNSPECIFIED: set X86_64 or RISCV64");
  spec_.set_arch(v1::X86_64);
  spec_.set_accelerator(v1::TCG);
  EXPECT_TRUE(absl::IsInvalidArgument(Check()));
  spec_.set_accelerator(v1::KVM);
  EXPECT_TRUE(Check().ok());
  spec_.set_arch(v1::RISCV64);
  EXPECT_TRUE(absl::IsInvalidArgument(Check()));
  spec_.set_accelerator(v1::TCG);
  EXPECT_TRUE(Check().ok());
}

TEST_F(ValidateSpecTest, BootFiles) {
  spec_.mutable_boot()->mutable_payload()->set_path(dir_ + "/missing.bin");
  absl::Status s = Check();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(s.message(), "spec.boot.payload.path=" + dir_ +
                             "/missing.bin: No such file or directory; give an existing, "
                             "readable file");
  spec_.mutable_boot()->mutable_payload()->set_path("relative.bin");
  EXPECT_TRUE(absl::IsInvalidArgument(Check()));
  spec_.mutable_boot()->mutable_payload()->set_path(dir_);
  EXPECT_EQ(Check().message(), "spec.boot.payload.path=" + dir_ + ": not a regular file");
  spec_.clear_boot();
  EXPECT_EQ(Check().message(), "spec.boot: required; set kernel or payload");
  auto* k = spec_.mutable_boot()->mutable_kernel();
  EXPECT_EQ(Check().message(), "spec.boot.kernel.kernel_path: required; give an absolute path");
  k->set_kernel_path(dir_ + "/p.bin");
  EXPECT_TRUE(Check().ok());
  k->set_initrd_path(dir_ + "/nope");
  EXPECT_TRUE(absl::IsInvalidArgument(Check()));
}

TEST_F(ValidateSpecTest, X86Entry) {
  auto* k = spec_.mutable_boot()->mutable_kernel();
  k->set_kernel_path(dir_ + "/p.bin");
  for (v1::X86Entry e : {v1::X86_ENTRY_DEFAULT, v1::X86_ENTRY_32BIT, v1::X86_ENTRY_64BIT}) {
    k->set_x86_entry(e);
    EXPECT_TRUE(Check().ok()) << v1::X86Entry_Name(e) << ": " << Check();
  }
  k->set_x86_entry(static_cast<v1::X86Entry>(7));
  EXPECT_EQ(Check().message(),
            "spec.boot.kernel.x86_entry=7: set X86_ENTRY_DEFAULT, X86_ENTRY_32BIT or "
            "X86_ENTRY_64BIT");
  spec_.set_arch(v1::RISCV64);
  spec_.set_accelerator(v1::TCG);
  k->set_x86_entry(v1::X86_ENTRY_DEFAULT);
  EXPECT_TRUE(Check().ok()) << Check();
  for (v1::X86Entry e : {v1::X86_ENTRY_32BIT, v1::X86_ENTRY_64BIT}) {
    k->set_x86_entry(e);
    EXPECT_EQ(Check().message(),
              absl::StrCat("spec.boot.kernel.x86_entry=", v1::X86Entry_Name(e),
                           ": applies to X86_64 bzImages only; leave it at X86_ENTRY_DEFAULT "
                           "for RISCV64"));
  }
}

TEST_F(ValidateSpecTest, NicsAndVsockAreChecked) {
  spec_.add_nics()->set_mtu(10);
  EXPECT_EQ(Check().message(), "spec.nics[0].mtu=10: must be 0 (1500) or 68..9000");
  spec_.mutable_nics(0)->set_mtu(0);
  spec_.mutable_vsock()->set_guest_cid(7);
  EXPECT_TRUE(Check().ok()) << Check();
}

// The riscv64 virt machine has 8 virtio-mmio slots: disks + NICs + vsock
// beyond that are refused at CreateVm, naming the counts and the limit.
TEST_F(ValidateSpecTest, Riscv64VirtioSlotLimit) {
  spec_.set_arch(v1::RISCV64);
  for (int i = 0; i < 5; ++i) spec_.add_disks()->set_path(absl::StrCat("/images/", i));
  for (int i = 0; i < 2; ++i) spec_.add_nics();
  spec_.mutable_vsock()->set_guest_cid(3);
  EXPECT_TRUE(Check().ok()) << Check();  // 8: every slot used.

  spec_.add_nics();
  absl::Status s = Check();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_EQ(s.message(),
            "spec.disks+spec.nics+spec.vsock=9 virtio devices (5 disks, 3 NICs, 1 vsock): a "
            "RISCV64 VM has 8 virtio-mmio slots; remove 1 of them");
  spec_.clear_vsock();
  EXPECT_TRUE(Check().ok()) << Check();
  for (int i = 5; i < 8; ++i) spec_.add_disks()->set_path(absl::StrCat("/images/", i));
  EXPECT_EQ(Check().message(),
            "spec.disks+spec.nics+spec.vsock=11 virtio devices (8 disks, 3 NICs, 0 vsock): a "
            "RISCV64 VM has 8 virtio-mmio slots; remove 3 of them");

  // x86_64 puts each device in its own PCI slot: the same spec is fine.
  spec_.set_arch(v1::X86_64);
  EXPECT_TRUE(Check().ok()) << Check();
}

TEST_F(ValidateSpecTest, Disks) {
  v1::Disk* d = spec_.add_disks();
  d->set_path("/images/a.raw");  // Need not exist yet: StartVm opens it.
  d->set_serial("01234567890123456789");
  d->set_num_queues(64);
  d->set_cache(v1::NONE);
  EXPECT_TRUE(Check().ok()) << Check();

  d->set_path("");
  EXPECT_EQ(Check().message(),
            "spec.disks[0].path: required; give the absolute path of a raw image");
  d->set_path("rel.raw");
  EXPECT_EQ(Check().message(), "spec.disks[0].path=rel.raw: must be an absolute path");
  d->set_path("/images/a.raw");

  d->set_serial("012345678901234567890");
  EXPECT_EQ(Check().message(),
            "spec.disks[0].serial=\"012345678901234567890\": 21 bytes; at most 20 "
            "(VIRTIO_BLK_ID_BYTES)");
  d->set_serial("");

  d->set_num_queues(65);
  EXPECT_EQ(Check().message(),
            "spec.disks[0].num_queues=65: must be 0 (one per vCPU) .. 64");
  d->set_num_queues(0);

  d->set_cache(static_cast<v1::CacheMode>(9));
  EXPECT_EQ(Check().message(),
            "spec.disks[0].cache=9: must be CACHE_MODE_UNSPECIFIED, WRITEBACK, NONE or UNSAFE");
  d->set_cache(v1::CACHE_MODE_UNSPECIFIED);

  spec_.add_disks()->set_path("/images/a.raw");
  EXPECT_EQ(Check().message(),
            "spec.disks[1].path=/images/a.raw: already used by spec.disks[0]; give each disk "
            "its own image");
  spec_.mutable_disks(1)->set_path("/images/b.raw");
  EXPECT_TRUE(Check().ok());
  for (int i = 2; i < 17; ++i) spec_.add_disks()->set_path(absl::StrCat("/images/", i));
  EXPECT_EQ(Check().message(), "spec.disks=17 disks: at most 16 per VM");
}

TEST(ValidateRef, ExactlyOne) {
  v1::VmRef ref;
  EXPECT_EQ(ValidateRef(ref, "vm").message(), "vm: set exactly one of id or name");
  ref.set_name("");
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateRef(ref, "vm")));
  ref.set_name("a");
  EXPECT_TRUE(ValidateRef(ref, "vm").ok());
  ref.set_id("abc");
  EXPECT_TRUE(ValidateRef(ref, "vm").ok());
}

TEST(ProbeHostLimits, ReadsTheHost) {
  HostLimits l = ProbeHostLimits();
  EXPECT_GE(l.max_vcpus, 1u);
  EXPECT_LE(l.max_vcpus, 64u);
  EXPECT_GT(l.memory_mib, 0u);
}

}  // namespace
}  // namespace vmm::api
