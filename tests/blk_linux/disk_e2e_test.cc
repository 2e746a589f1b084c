// Disks through the public API of a real vmmd with real workers and the
// real KVM machine (a tiny payload guest; runs under kvm_pvm too): spec
// validation, a missing image, an image another VM holds writable, the
// lock released when that VM stops, and GetVm's per-disk counters.

#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_test_base.h"

namespace vmm::e2e {
namespace {

class DiskE2eTest : public E2eTest {
 protected:
  std::string Image(const std::string& name) {
    const std::string path = absl::StrCat(dir_, "/", name);
    int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::ftruncate(fd, 1 << 20), 0);
    ::close(fd);
    return path;
  }
  v1::VmSpec WithDisk(const std::string& vm, const std::string& path, bool ro = false) {
    v1::VmSpec spec = PayloadSpec(vm, "ticker");
    v1::Disk* d = spec.add_disks();
    d->set_path(path);
    d->set_read_only(ro);
    d->set_serial("e2e");
    return spec;
  }
};

TEST_F(DiskE2eTest, InvalidDiskSpecsAreRefusedAtCreate) {
  v1::VmSpec spec = WithDisk("bad1", "relative.img");
  grpc::Status s = CreateVm(stub(), spec);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "spec.disks[0].path=relative.img: must be an absolute path");
  spec = WithDisk("bad2", "/x.img");
  spec.mutable_disks(0)->set_serial(std::string(21, 's'));
  s = CreateVm(stub(), spec);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "spec.disks[0].serial=")) << s.error_message();
  spec = WithDisk("bad3", "/x.img");
  spec.mutable_disks(0)->set_num_queues(65);
  EXPECT_EQ(CreateVm(stub(), spec).error_message(),
            "spec.disks[0].num_queues=65: must be 0 (one per vCPU) .. 64");
}

TEST_F(DiskE2eTest, MissingImageFailsStartVmByName) {
  const std::string missing = absl::StrCat(dir_, "/nope.img");
  ASSERT_TRUE(CreateVm(stub(), WithDisk("miss", missing)).ok());
  grpc::Status s = StartVm(stub(), "miss");
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(s.error_message(),
                                absl::StrCat("disks[0]: disk image ", missing,
                                             ": open: No such file or directory")))
      << s.error_message();
  v1::Vm vm;
  ASSERT_TRUE(GetVm(stub(), "miss", &vm).ok());
  EXPECT_EQ(vm.status().state(), v1::CRASHED);
  EXPECT_EQ(vm.status().reason(), v1::START_FAILED);
  EXPECT_EQ(vm.status().worker_pid(), 0);
}

TEST_F(DiskE2eTest, WritableImageIsNeverShared) {
  const std::string img = Image("shared.img");
  ASSERT_TRUE(CreateVm(stub(), WithDisk("owner", img)).ok());
  ASSERT_TRUE(CreateVm(stub(), WithDisk("second", img)).ok());
  ASSERT_TRUE(CreateVm(stub(), WithDisk("reader", img, /*ro=*/true)).ok());
  v1::Vm vm;
  ASSERT_TRUE(StartVm(stub(), "owner", &vm).ok());
  EXPECT_EQ(vm.status().state(), v1::RUNNING);
  // One counter entry per disk; the payload never touches it.
  ASSERT_TRUE(GetVm(stub(), "owner", &vm).ok());
  ASSERT_EQ(vm.counters().disks_size(), 1);
  EXPECT_EQ(vm.counters().disks(0).read_requests(), 0u);

  for (const char* other : {"second", "reader"}) {
    grpc::Status s = StartVm(stub(), other);
    EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION) << other;
    EXPECT_TRUE(absl::StrContains(s.error_message(),
                                  absl::StrCat("disk image ", img, " is locked by another user")))
        << s.error_message();
    ASSERT_TRUE(GetVm(stub(), other, &vm).ok());
    EXPECT_EQ(vm.status().reason(), v1::START_FAILED);
  }
  // The owner is unaffected; once it stops, the lock is gone.
  ASSERT_TRUE(GetVm(stub(), "owner", &vm).ok());
  EXPECT_EQ(vm.status().state(), v1::RUNNING);
  ASSERT_TRUE(StopVm(stub(), "owner", 0, /*force=*/true).ok());
  WaitForState(stub(), "owner", v1::SHUTOFF);
  ASSERT_TRUE(StartVm(stub(), "second", &vm).ok());
  EXPECT_EQ(vm.status().state(), v1::RUNNING);
  ASSERT_TRUE(StopVm(stub(), "second", 0, /*force=*/true).ok());
}

TEST_F(DiskE2eTest, ReadOnlyImagesMayBeShared) {
  const std::string img = Image("ro.img");
  ASSERT_TRUE(CreateVm(stub(), WithDisk("ro1", img, true)).ok());
  ASSERT_TRUE(CreateVm(stub(), WithDisk("ro2", img, true)).ok());
  ASSERT_TRUE(StartVm(stub(), "ro1").ok());
  v1::Vm vm;
  ASSERT_TRUE(StartVm(stub(), "ro2", &vm).ok());
  EXPECT_EQ(vm.status().state(), v1::RUNNING);
  ASSERT_TRUE(StopVm(stub(), "ro1", 0, true).ok());
  ASSERT_TRUE(StopVm(stub(), "ro2", 0, true).ok());
}

}  // namespace
}  // namespace vmm::e2e
