#include <fcntl.h>
#include <unistd.h>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "proto/vmm/v1/vmm.grpc.pb.h"

TEST(BuildSmoke, ProtoAndKvm) {
  vmm::v1::VmSpec spec;
  spec.set_name("x");
  EXPECT_EQ(spec.name(), "x");
  absl::StatusOr<int> v = 3;
  EXPECT_TRUE(v.ok());
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  close(fd);
}
