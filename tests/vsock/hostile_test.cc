// Hostile guest packets: each is dropped or answered with RST, the device
// never needs a reset, and a healthy connection beside them keeps working.
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/vsock/vsock_rig.h"

namespace vmm {
namespace virtio {
namespace testing {
namespace {

using std::chrono::milliseconds;

class VsockHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VsockDeviceOptions o;
    o.uds_path = VsockRig::TempSocketPath("h");
    o.conn_buf_bytes = 16 * 1024;
    auto rig = VsockRig::Create(o);
    ASSERT_TRUE(rig.ok()) << rig.status();
    rig_ = std::move(*rig);
    // One healthy guest->host connection to port 7000.
    auto l = Listen(rig_->uds() + "_7000");
    ASSERT_TRUE(l.ok());
    listener_ = std::move(*l);
    ASSERT_TRUE(rig_->Send(rig_->Hdr(kVsockOpRequest, 100, 7000)).ok());
    auto p = rig_->Recv();
    ASSERT_TRUE(p.ok());
    ASSERT_EQ(p->hdr.op, kVsockOpResponse);
    good_ = Fd(::accept(listener_.get(), nullptr, nullptr));
    ASSERT_TRUE(good_.valid());
  }
  void TearDown() override { ::unlink((rig_->uds() + "_7000").c_str()); }

  // The healthy connection still carries data.
  void ExpectHealthy() {
    const std::string msg = absl::StrCat("ping", n_++);
    ASSERT_TRUE(rig_->Send(rig_->Hdr(kVsockOpRw, 100, 7000, msg.size()), msg).ok());
    auto got = ReadExactly(good_.get(), msg.size());
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, msg);
    EXPECT_EQ(rig_->driver().status() & 0x40, 0) << "DEVICE_NEEDS_RESET set";
  }
  void ExpectRst(uint32_t src_port, uint32_t dst_port) {
    auto p = rig_->Recv(milliseconds(2000));
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->hdr.op, kVsockOpRst);
    EXPECT_EQ(p->hdr.src_port, dst_port);
    EXPECT_EQ(p->hdr.dst_port, src_port);
  }
  void ExpectNothing() { EXPECT_FALSE(rig_->Recv(milliseconds(200)).ok()); }
  uint64_t dropped() { return rig_->device().counters().packets_dropped; }

  std::unique_ptr<VsockRig> rig_;
  Fd listener_, good_;
  int n_ = 0;
};

TEST_F(VsockHostileTest, LenBeyondTheBuffer) {
  const uint64_t before = dropped();
  // Header says 1000 bytes, the chain has 10.
  ASSERT_TRUE(rig_->Send(rig_->Hdr(kVsockOpRw, 100, 7000, 1000), "0123456789").ok());
  EXPECT_EQ(dropped(), before + 1);
  ExpectRst(100, 7000);  // That connection is reset...
  // ...so reopen it for the health check.
  ASSERT_TRUE(rig_->Send(rig_->Hdr(kVsockOpRequest, 100, 7000)).ok());
  ASSERT_EQ(rig_->Recv()->hdr.op, kVsockOpResponse);
  good_ = Fd(::accept(listener_.get(), nullptr, nullptr));
  ExpectHealthy();
}

TEST_F(VsockHostileTest, LenAboveMaxPacketOnUnknownConnection) {
  ASSERT_TRUE(rig_->Send(rig_->Hdr(kVsockOpRw, 101, 7000, 0xffffffff), "x").ok());
  ExpectRst(101, 7000);
  ExpectHealthy();
}

TEST_F(VsockHostileTest, DescriptorLongerThanLen) {
  // len=2 but the descriptor has 100 bytes: only len bytes count.
  ASSERT_TRUE(rig_->Send(rig_->Hdr(kVsockOpRw, 100, 7000, 2), std::string(100, 'a')).ok());
  auto got = ReadExactly(good_.get(), 2);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "aa");
  ExpectHealthy();
}

TEST_F(VsockHostileTest, ChainShorterThanHeader) {
  const uint64_t before = dropped();
  ASSERT_TRUE(rig_->SendRaw("short").ok());
  EXPECT_EQ(dropped(), before + 1);
  ExpectNothing();
  ExpectHealthy();
}

TEST_F(VsockHostileTest, UnknownOp) {
  ASSERT_TRUE(rig_->Send(rig_->Hdr(99, 102, 7000)).ok());
  ExpectRst(102, 7000);
  ExpectHealthy();
}

TEST_F(VsockHostileTest, WrongSourceCidDropped) {
  VsockHdr h = rig_->Hdr(kVsockOpRw, 100, 7000, 3);
  h.src_cid = 1234;
  const uint64_t before = dropped();
  ASSERT_TRUE(rig_->Send(h, "bad").ok());
  EXPECT_EQ(dropped(), before + 1);
  ExpectNothing();
  ExpectHealthy();
}

TEST_F(VsockHostileTest, DestinationNotHostDropped) {
  VsockHdr h = rig_->Hdr(kVsockOpRequest, 103, 7000);
  h.dst_cid = 77;
  ASSERT_TRUE(rig_->Send(h).ok());
  ExpectNothing();
  ExpectHealthy();
}

TEST_F(VsockHostileTest, NonStreamTypeGetsRst) {
  VsockHdr h = rig_->Hdr(kVsockOpRequest, 104, 7000);
  h.type = 2;  // SEQPACKET: not offered.
  ASSERT_TRUE(rig_->Send(h).ok());
  ExpectRst(104, 7000);
  ExpectHealthy();
}

TEST_F(VsockHostileTest, CreditOverrunResetsOnlyThatConnection) {
  // A second connection; its guest sends more than the 16 KiB advertised.
  auto l = Listen(rig_->uds() + "_7001");
  ASSERT_TRUE(l.ok());
  ASSERT_TRUE(rig_->Send(rig_->Hdr(kVsockOpRequest, 200, 7001)).ok());
  ASSERT_EQ(rig_->Recv()->hdr.op, kVsockOpResponse);
  const std::string big(20 * 1024, 'z');
  ASSERT_TRUE(rig_->Send(rig_->Hdr(kVsockOpRw, 200, 7001, big.size()), big).ok());
  ExpectRst(200, 7001);
  EXPECT_EQ(rig_->device().counters().buffered_bytes, 0u);
  ExpectHealthy();
  ::unlink((rig_->uds() + "_7001").c_str());
}

TEST_F(VsockHostileTest, DataOnClosedConnection) {
  VsockHdr rst = rig_->Hdr(kVsockOpRst, 100, 7000);
  ASSERT_TRUE(rig_->Send(rst).ok());
  ExpectNothing();  // RST is never answered.
  ASSERT_TRUE(rig_->Send(rig_->Hdr(kVsockOpRw, 100, 7000, 4), "late").ok());
  ExpectRst(100, 7000);
  ASSERT_TRUE(rig_->Send(rig_->Hdr(kVsockOpResponse, 300, 7000)).ok());
  ExpectRst(300, 7000);
  EXPECT_EQ(rig_->driver().status() & 0x40, 0);
}

TEST_F(VsockHostileTest, FloodOfRequestsWithoutRxBuffersIsBounded) {
  // 300 packets for unknown connections: each wants an RST but the rx
  // queue has 128 buffers. The rest wait in the device's control queue
  // (capped at 1024: past it the device stops taking tx chains rather than
  // grow) and all are delivered once the guest reads.
  int rsts = 0;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(rig_->Send(rig_->Hdr(kVsockOpRw, 5000 + i, 7000, 1), "q").ok());
  }
  for (;;) {
    auto p = rig_->Recv(milliseconds(300));
    if (!p.ok()) break;
    if (p->hdr.op == kVsockOpRst) ++rsts;
  }
  EXPECT_EQ(rsts, 300);
  ExpectHealthy();
}

}  // namespace
}  // namespace testing
}  // namespace virtio
}  // namespace vmm
