// A hostile guest driver: bad vnet headers, oversized frames and broken
// chains are dropped and counted; good traffic keeps flowing; a broken ring
// only marks the device NEEDS_RESET.
#include <sys/socket.h>

#include <cstring>

#include "devices/virtio/core/virtio_spec.h"
#include "devices/virtio/net/net_spec.h"
#include "gtest/gtest.h"
#include "tests/net/net_rig.h"

namespace vmm {
namespace net_testing {
namespace {

using virtio::testing::Buf;

class NetHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnterNewNetns().ok());
    absl::StatusOr<std::unique_ptr<NetRig>> rig = NetRig::Create({});
    ASSERT_TRUE(rig.ok()) << rig.status();
    rig_ = std::move(*rig);
    absl::StatusOr<Fd> s = UdpSocket(kHostIp, 5000, 2000);
    ASSERT_TRUE(s.ok());
    sock_ = std::move(*s);
  }

  std::vector<uint8_t> Good(uint8_t tag, size_t len = 100) {
    return BuildUdp(rig_->guest_mac(), rig_->host_mac(), kGuestIp, kHostIp, 6000, 5000,
                    std::vector<uint8_t>(len, tag));
  }
  // A good frame still goes through.
  void ExpectFlowing(uint8_t tag) {
    ASSERT_TRUE(rig_->Send(0, Good(tag)).ok());
    ASSERT_TRUE(rig_->FlushTx(0).ok());
    std::vector<uint8_t> buf(2000);
    ssize_t n = ::recv(sock_.get(), buf.data(), buf.size(), 0);
    ASSERT_EQ(n, 100);
    EXPECT_EQ(buf[0], tag);
    EXPECT_EQ(buf[99], tag);
    EXPECT_FALSE(rig_->driver().status() & virtio::kStatusDeviceNeedsReset);
  }
  uint64_t drops() { return rig_->device().counters().tx_drops; }

  std::unique_ptr<NetRig> rig_;
  Fd sock_;
};

TEST_F(NetHostileTest, BadHeadersAndOversizedFramesAreDropped) {
  ExpectFlowing(1);
  uint64_t expect = 0;
  auto send_bad = [&](const std::vector<uint8_t>& frame, const virtio::VirtioNetHdr& h) {
    ASSERT_TRUE(rig_->Send(0, frame, h).ok());
    ASSERT_TRUE(rig_->FlushTx(0).ok());
    EXPECT_EQ(drops(), ++expect);
  };
  // Above MTU + 18 without GSO.
  send_bad(Good(2, 1600), {});
  virtio::VirtioNetHdr h{};
  h.gso_type = 2;  // Unknown GSO type.
  h.flags = virtio::kNetHdrFNeedsCsum;
  h.gso_size = 1000;
  send_bad(Good(3), h);
  h = {};
  h.hdr_len = 5000;  // Beyond the frame.
  send_bad(Good(4), h);
  h = {};
  h.flags = virtio::kNetHdrFNeedsCsum;
  h.csum_start = 130;  // Beyond the frame (142 bytes).
  h.csum_offset = 12;
  send_bad(Good(5), h);
  h = {};
  h.flags = 0x40;  // Unknown flag.
  send_bad(Good(6), h);
  h = {};
  h.gso_type = virtio::kNetHdrGsoTcpv4;  // GSO without NEEDS_CSUM.
  h.gso_size = 1448;
  send_bad(Good(7, 9000), h);
  h = {};
  h.gso_type = virtio::kNetHdrGsoTcpv4;  // GSO with gso_size 0.
  h.flags = virtio::kNetHdrFNeedsCsum;
  send_bad(Good(8, 9000), h);
  h = {};
  h.gso_type = virtio::kNetHdrGsoEcn;  // ECN without a GSO type.
  send_bad(Good(9), h);
  {
    // A GSO frame above 64 KiB + headers, in one buffer.
    h = {};
    h.gso_type = virtio::kNetHdrGsoTcpv4;
    h.flags = virtio::kNetHdrFNeedsCsum;
    h.gso_size = 1448;
    const uint32_t len = virtio::kNetMaxGsoFrame + 1;
    std::vector<uint8_t> frame = Good(10);
    frame.resize(len, 10);
    GuestAddress b = rig_->driver().Alloc(12 + len);
    ASSERT_TRUE(rig_->memory().WriteObj(b, h).ok());
    ASSERT_TRUE(rig_->memory().Write(GuestAddress(b.value() + 12), frame).ok());
    rig_->SendRaw(0, {Buf{b, 12 + len, false}});
    ASSERT_TRUE(rig_->FlushTx(0).ok());
    EXPECT_EQ(drops(), ++expect);
  }
  ExpectFlowing(11);
  EXPECT_EQ(drops(), expect);
  EXPECT_EQ(rig_->device().counters().tx_packets, 2u);
}

TEST_F(NetHostileTest, HostileChainsAreDropped) {
  ExpectFlowing(1);
  virtio::testing::GuestDriver& d = rig_->driver();
  GuestAddress b = d.Alloc(4096);
  // Shorter than a vnet header.
  rig_->SendRaw(0, {Buf{b, 6, false}});
  // A device-writable buffer in a tx chain.
  rig_->SendRaw(0, {Buf{b, 200, false}, Buf{b, 64, true}});
  // A buffer outside guest RAM.
  rig_->SendRaw(0, {Buf{b, 12, false}, Buf{GuestAddress(0x7fff00000000ull), 100, false}});
  // A buffer that runs past the end of RAM.
  rig_->SendRaw(0, {Buf{b, 12, false}, Buf{GuestAddress((256ull << 20) - 10), 100, false}});
  ASSERT_TRUE(rig_->FlushTx(0).ok());
  EXPECT_EQ(drops(), 4u);
  ExpectFlowing(2);
}

TEST_F(NetHostileTest, BrokenRingMarksNeedsResetAndRecovers) {
  ExpectFlowing(1);
  virtio::testing::GuestDriver& d = rig_->driver();
  // avail.idx jumps by more than the queue size: the ring is unusable.
  d.SetAvailIdx(1, static_cast<uint16_t>(d.UsedIdx(1) + 1000));
  d.Kick(1);
  EXPECT_TRUE(d.WaitStatus(virtio::kStatusDeviceNeedsReset));
  d.Reset();
  EXPECT_FALSE(rig_->device().activated());
}

}  // namespace
}  // namespace net_testing
}  // namespace vmm
