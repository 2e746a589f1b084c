#include "vmm/worker/net_backends.h"

#include <sched.h>
#include <sys/stat.h>

#include "gtest/gtest.h"
#include "vmm/worker/net_spec_convert.h"
#include "vmm/worker/scoped_temp_dir.h"

namespace vmm::worker {
namespace {

// Taps need CAP_NET_ADMIN; each test runs in a network namespace of its own
// (gtest runs tests one at a time on the main thread).
class NetBackendsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::unshare(CLONE_NEWNET) != 0) GTEST_SKIP() << "unshare(CLONE_NEWNET) needs root";
  }
  ScopedTempDir dir_{"net_backends_test"};
};

TEST_F(NetBackendsTest, CreatedTapLivesWithTheBackends) {
  MachineSpec spec;
  spec.nics.resize(1);
  spec.has_vsock = true;
  spec.vsock.guest_cid = 3;
  const std::string vm_dir = dir_.path() + "/0123456789abcdef";
  absl::StatusOr<std::unique_ptr<NetBackends>> b = NetBackends::Open(vm_dir, &spec);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(spec.nics[0].tap, "vm01234567n0");
  EXPECT_EQ(spec.nics[0].tap_fds.size(), 1u);
  EXPECT_TRUE(virtio::InterfaceExists("vm01234567n0"));
  EXPECT_EQ(spec.vsock.uds_path, vm_dir + "/vsock.sock");
  b->reset();  // The only fds: a non-persistent tap goes with them.
  EXPECT_FALSE(virtio::InterfaceExists("vm01234567n0"));
}

TEST_F(NetBackendsTest, MissingTapFailsAndLeavesNothing) {
  MachineSpec spec;
  spec.nics.resize(2);
  spec.nics[1].tap = "nosuchtap";
  absl::StatusOr<std::unique_ptr<NetBackends>> b = NetBackends::Open(dir_.path() + "/ab12", &spec);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(),
            "spec.nics[1]: tap \"nosuchtap\" does not exist: create it first (ip tuntap add "
            "nosuchtap mode tap)");
  EXPECT_FALSE(virtio::InterfaceExists("vmab12n0"));  // NIC 0's created tap is gone.
}

TEST_F(NetBackendsTest, RateLimitsCarryToTheNextMachine) {
  MachineSpec spec;
  spec.nics.resize(1);
  absl::StatusOr<std::unique_ptr<NetBackends>> b = NetBackends::Open(dir_.path() + "/cd34", &spec);
  ASSERT_TRUE(b.ok()) << b.status();
  RateLimitConfig tx;
  tx.bytes_per_second = 1000000;
  EXPECT_TRUE((*b)->UpdateNic(0, {}, tx, nullptr).ok());
  EXPECT_EQ((*b)->ForNextMachine(spec).nics[0].tx_rate_limit.bytes_per_second, 1000000u);
  EXPECT_TRUE(absl::IsInvalidArgument((*b)->UpdateNic(1, {}, tx, nullptr)));
  // No vsock device: capture is refused with what to do.
  EXPECT_EQ((*b)->StartCapture(dir_.path() + "/c.pcap", nullptr).message(),
            "the VM has no vsock device (spec.vsock is not set)");
}

TEST(NetSpecConvert, DefaultsAndLimits) {
  v1::VmSpec spec;
  v1::Nic* n = spec.add_nics();
  n->mutable_tx_rate_limit()->set_bytes_per_second(5);
  spec.mutable_vsock()->set_guest_cid(9);
  MachineSpec out;
  ASSERT_TRUE(AddNetDevices(spec, &out).ok());
  ASSERT_EQ(out.nics.size(), 1u);
  EXPECT_EQ(out.nics[0].num_queue_pairs, 1u);
  EXPECT_EQ(out.nics[0].mtu, 1500u);
  EXPECT_EQ(out.nics[0].tx_rate_limit.bytes_per_second, 5u);
  EXPECT_TRUE(out.has_vsock);
  EXPECT_EQ(out.vsock.guest_cid, 9u);
  EXPECT_TRUE(out.vsock.uds_path.empty());
}

}  // namespace
}  // namespace vmm::worker
