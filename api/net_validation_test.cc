#include "api/net_validation.h"

#include "gtest/gtest.h"

namespace vmm::api {
namespace {

class NetValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_.set_name("n1");
    spec_.set_vcpus(2);
  }
  std::string Error() { return std::string(ValidateNetDevices(spec_).message()); }
  v1::VmSpec spec_;
};

TEST_F(NetValidationTest, EmptyAndGoodSpecsPass) {
  EXPECT_TRUE(ValidateNetDevices(spec_).ok());
  v1::Nic* n = spec_.add_nics();
  n->set_tap("tap-web.1");
  n->set_mac("52:54:00:AB:cd:01");
  n->set_num_queue_pairs(2);
  n->set_mtu(9000);
  n->mutable_rx_rate_limit()->set_bytes_per_second(1000000);
  n->mutable_rx_rate_limit()->set_bytes_burst(1000);
  spec_.add_nics();  // All defaults: a created tap, generated MAC.
  spec_.mutable_vsock()->set_guest_cid(3);
  EXPECT_TRUE(ValidateNetDevices(spec_).ok()) << Error();
}

TEST_F(NetValidationTest, Mac) {
  v1::Nic* n = spec_.add_nics();
  n->set_mac("52:54:00:12:34");
  EXPECT_EQ(Error(),
            "spec.nics[0].mac=52:54:00:12:34: must be six hex bytes separated by ':', e.g. "
            "52:54:00:12:34:56");
  n->set_mac("52-54-00-12-34-56");
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateNetDevices(spec_)));
  n->set_mac("52:54:00:12:34:5g");
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateNetDevices(spec_)));
  n->set_mac("01:00:5e:00:00:01");
  EXPECT_EQ(Error(),
            "spec.nics[0].mac=01:00:5e:00:00:01: a multicast address (first byte odd); use a "
            "unicast one such as 52:54:00:12:34:56");
  n->set_mac("ff:ff:ff:ff:ff:ff");
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateNetDevices(spec_)));
  n->set_mac("00:00:00:00:00:00");
  EXPECT_EQ(Error(), "spec.nics[0].mac=00:00:00:00:00:00: all zero; give a unicast address");
  n->set_mac("02:00:00:00:00:01");
  spec_.add_nics()->set_mac("02:00:00:00:00:01");
  EXPECT_EQ(Error(), "spec.nics[1].mac=02:00:00:00:00:01: also used by spec.nics[0]");
}

TEST_F(NetValidationTest, TapName) {
  v1::Nic* n = spec_.add_nics();
  n->set_tap("0123456789abcdef");  // 16 bytes.
  EXPECT_EQ(Error(),
            "spec.nics[0].tap=\"0123456789abcdef\": must be 1..15 characters of "
            "[a-zA-Z0-9_.-], or empty for a created tap");
  n->set_tap("0123456789abcde");
  EXPECT_TRUE(ValidateNetDevices(spec_).ok());
  for (const char* bad : {"a b", "a/b", "..", "tap:0", "t\xc3\xa4p"}) {
    n->set_tap(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateNetDevices(spec_))) << bad;
  }
  n->set_tap("tap0");
  spec_.add_nics()->set_tap("tap0");
  EXPECT_EQ(Error(), "spec.nics[1].tap=tap0: also used by spec.nics[0]; give each NIC its own tap");
}

TEST_F(NetValidationTest, QueuePairsBoundedByVcpusAndMax) {
  v1::Nic* n = spec_.add_nics();
  n->set_num_queue_pairs(3);
  EXPECT_EQ(Error(),
            "spec.nics[0].num_queue_pairs=3: must be 0 (one) or 1..2 (at most 16 and at most the "
            "VM's vcpus)");
  spec_.set_vcpus(64);
  n->set_num_queue_pairs(16);
  EXPECT_TRUE(ValidateNetDevices(spec_).ok());
  n->set_num_queue_pairs(17);
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateNetDevices(spec_)));
}

TEST_F(NetValidationTest, Mtu) {
  v1::Nic* n = spec_.add_nics();
  n->set_mtu(67);
  EXPECT_EQ(Error(), "spec.nics[0].mtu=67: must be 0 (1500) or 68..9000");
  n->set_mtu(9001);
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateNetDevices(spec_)));
  n->set_mtu(68);
  EXPECT_TRUE(ValidateNetDevices(spec_).ok());
}

TEST_F(NetValidationTest, RateLimits) {
  v1::Nic* n = spec_.add_nics();
  n->mutable_tx_rate_limit()->set_bytes_burst(100);
  EXPECT_EQ(Error(),
            "spec.nics[0].tx_rate_limit.bytes_burst=100: a burst needs a rate: set "
            "spec.nics[0].tx_rate_limit.bytes_per_second too, or 0");
  n->mutable_tx_rate_limit()->set_bytes_per_second(10000000);
  EXPECT_EQ(Error(),
            "spec.nics[0].tx_rate_limit.bytes_burst=100: must be 0 (one second of rate) or at "
            "least 10000 bytes (1 ms of the rate)");
  n->mutable_tx_rate_limit()->set_bytes_burst(10000);
  EXPECT_TRUE(ValidateNetDevices(spec_).ok());
  n->mutable_rx_rate_limit()->set_packets_burst(5);
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateNetDevices(spec_)));
}

TEST_F(NetValidationTest, TooManyNics) {
  for (int i = 0; i < kMaxNics + 1; ++i) spec_.add_nics();
  EXPECT_EQ(Error(), "spec.nics=9 entries: at most 8 NICs per VM");
}

TEST_F(NetValidationTest, Vsock) {
  v1::Vsock* v = spec_.mutable_vsock();
  for (uint32_t cid : {0u, 1u, 2u, 0xffffffffu}) {
    v->set_guest_cid(cid);
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateNetDevices(spec_))) << cid;
  }
  v->set_guest_cid(2);
  EXPECT_EQ(Error(),
            "spec.vsock.guest_cid=2: must be 3..4294967294 (0-2 are reserved: 2 is the host)");
  v->set_guest_cid(3);
  v->set_uds_path("rel/v.sock");
  EXPECT_EQ(Error(),
            "spec.vsock.uds_path=rel/v.sock: must be an absolute path, or empty for <state "
            "dir>/vms/<id>/vsock.sock");
  v->set_uds_path("/" + std::string(96, 'a'));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateNetDevices(spec_)));
  v->set_uds_path("/" + std::string(95, 'a'));
  EXPECT_TRUE(ValidateNetDevices(spec_).ok());
  v->set_uds_path("/tmp/");
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateNetDevices(spec_)));
}

}  // namespace
}  // namespace vmm::api
