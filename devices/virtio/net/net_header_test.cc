#include "devices/virtio/net/net_header.h"

#include "gtest/gtest.h"

namespace vmm {
namespace virtio {
namespace {

TxLimits All() {
  TxLimits l;
  l.csum = l.tso4 = l.tso6 = l.ufo = true;
  l.max_frame = 1518;
  return l;
}

VirtioNetHdr Gso(uint8_t type) {
  VirtioNetHdr h{};
  h.flags = kNetHdrFNeedsCsum;
  h.gso_type = type;
  h.hdr_len = 54;
  h.gso_size = 1448;
  h.csum_start = 34;
  h.csum_offset = 16;
  return h;
}

TEST(NetHeaderTest, PlainFrames) {
  VirtioNetHdr h{};
  EXPECT_TRUE(ValidateTxHeader(h, 60, All()).ok());
  EXPECT_TRUE(ValidateTxHeader(h, 1518, All()).ok());
  EXPECT_FALSE(ValidateTxHeader(h, 1519, All()).ok());
  EXPECT_FALSE(ValidateTxHeader(h, 13, All()).ok());
}

TEST(NetHeaderTest, GsoFrames) {
  EXPECT_TRUE(ValidateTxHeader(Gso(kNetHdrGsoTcpv4), 65000, All()).ok());
  EXPECT_TRUE(ValidateTxHeader(Gso(kNetHdrGsoTcpv6), 65000, All()).ok());
  EXPECT_TRUE(ValidateTxHeader(Gso(kNetHdrGsoTcpv4 | kNetHdrGsoEcn), 65000, All()).ok());
  EXPECT_TRUE(ValidateTxHeader(Gso(kNetHdrGsoUdp), 9000, All()).ok());
  EXPECT_FALSE(ValidateTxHeader(Gso(kNetHdrGsoTcpv4), kNetMaxGsoFrame + 1, All()).ok());
  EXPECT_FALSE(ValidateTxHeader(Gso(2), 9000, All()).ok());  // unknown type
  EXPECT_FALSE(ValidateTxHeader(Gso(5), 9000, All()).ok());
  VirtioNetHdr h = Gso(kNetHdrGsoTcpv4);
  h.gso_size = 0;
  EXPECT_FALSE(ValidateTxHeader(h, 9000, All()).ok());
  h = Gso(kNetHdrGsoTcpv4);
  h.flags = 0;
  EXPECT_FALSE(ValidateTxHeader(h, 9000, All()).ok());
}

TEST(NetHeaderTest, NotNegotiated) {
  TxLimits none;
  EXPECT_FALSE(ValidateTxHeader(Gso(kNetHdrGsoTcpv4), 9000, none).ok());
  VirtioNetHdr h{};
  h.flags = kNetHdrFNeedsCsum;
  h.csum_start = 34;
  h.csum_offset = 6;
  EXPECT_FALSE(ValidateTxHeader(h, 100, none).ok());
  EXPECT_TRUE(ValidateTxHeader(h, 100, All()).ok());
}

TEST(NetHeaderTest, OffsetsOutsideFrame) {
  VirtioNetHdr h{};
  h.flags = kNetHdrFNeedsCsum;
  h.csum_start = 90;
  h.csum_offset = 9;
  EXPECT_FALSE(ValidateTxHeader(h, 100, All()).ok());  // 90+9+2 > 100
  h.csum_offset = 8;
  EXPECT_TRUE(ValidateTxHeader(h, 100, All()).ok());
  h.csum_start = 0xffff;
  h.csum_offset = 0xffff;
  EXPECT_FALSE(ValidateTxHeader(h, 100, All()).ok());
  VirtioNetHdr g{};
  g.hdr_len = 101;
  EXPECT_FALSE(ValidateTxHeader(g, 100, All()).ok());
  g.hdr_len = 0;
  g.flags = 0x80;
  EXPECT_FALSE(ValidateTxHeader(g, 100, All()).ok());
  g.flags = 0;
  g.gso_type = kNetHdrGsoEcn;
  EXPECT_FALSE(ValidateTxHeader(g, 100, All()).ok());
}

}  // namespace
}  // namespace virtio
}  // namespace vmm
