#include "vmm/worker/counters_proto.h"

#include "gtest/gtest.h"

namespace vmm::worker {
namespace {

TEST(CountersProtoTest, EveryDeviceSurvivesTheRoundTrip) {
  MachineCounters in;
  in.disks.push_back({1, 2, 3, 4, 5, 6});
  NicCounterValues nic;
  nic.tap = "vmtap0";
  nic.rx_packets = 7;
  nic.rx_bytes = 8;
  nic.rx_dropped = 9;
  nic.tx_packets = 10;
  nic.tx_bytes = 11;
  nic.tx_dropped = 12;
  nic.rate_limited = 13;
  in.nics = {nic, NicCounterValues{}};
  in.has_vsock = true;
  in.vsock = {14, 15, 16};

  Counters proto;
  CountersToProto(in, &proto);
  const MachineCounters out = CountersFromProto(proto);

  ASSERT_EQ(out.disks.size(), 1u);
  EXPECT_EQ(out.disks[0].read_requests, 1u);
  EXPECT_EQ(out.disks[0].errors, 6u);
  ASSERT_EQ(out.nics.size(), 2u);
  EXPECT_EQ(out.nics[0].tap, "vmtap0");
  EXPECT_EQ(out.nics[0].rx_packets, 7u);
  EXPECT_EQ(out.nics[0].rx_bytes, 8u);
  EXPECT_EQ(out.nics[0].rx_dropped, 9u);
  EXPECT_EQ(out.nics[0].tx_packets, 10u);
  EXPECT_EQ(out.nics[0].tx_bytes, 11u);
  EXPECT_EQ(out.nics[0].tx_dropped, 12u);
  EXPECT_EQ(out.nics[0].rate_limited, 13u);
  EXPECT_EQ(out.nics[1].rx_bytes, 0u);
  EXPECT_TRUE(out.has_vsock);
  EXPECT_EQ(out.vsock.connections, 14u);
  EXPECT_EQ(out.vsock.rx_bytes, 15u);
  EXPECT_EQ(out.vsock.tx_bytes, 16u);
}

}  // namespace
}  // namespace vmm::worker
