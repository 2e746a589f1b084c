#include "devices/virtio/block/request.h"

#include "gtest/gtest.h"

namespace vmm {
namespace virtio {
namespace {

class RequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = GuestMemory::Create({{GuestAddress(0), 1 << 20}});
    ASSERT_TRUE(m.ok());
    mem_ = std::move(*m);
    limits_.capacity_sectors = 100;
    limits_.seg_max = 2;
    limits_.size_max = 4096;
    limits_.max_discard_seg = 2;
    limits_.max_discard_sectors = 50;
    limits_.max_write_zeroes_seg = 2;
    limits_.max_write_zeroes_sectors = 50;
  }
  ChainBuffers Chain(uint32_t type, uint64_t sector, std::vector<Descriptor> data) {
    EXPECT_TRUE(mem_->WriteObj(GuestAddress(0), BlkReqHeader{type, 0, sector}).ok());
    ChainBuffers c;
    c.readable.push_back({GuestAddress(0), 16, false});
    c.readable_bytes = 16;
    for (const Descriptor& d : data) {
      if (d.writable) {
        c.writable.push_back(d);
        c.writable_bytes += d.len;
      } else {
        c.readable.push_back(d);
        c.readable_bytes += d.len;
      }
    }
    c.writable.push_back({GuestAddress(0x100), 1, true});
    c.writable_bytes += 1;
    return c;
  }
  std::unique_ptr<GuestMemory> mem_;
  BlkLimits limits_;
};

TEST_F(RequestTest, ParsesReadWithStatusAtLastWritableByte) {
  auto r = ParseBlkRequest(*mem_, Chain(kBlkTIn, 3, {{GuestAddress(0x1000), 1024, true}}), limits_);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->immediate_status.has_value()) << r->error;
  EXPECT_EQ(r->data_len, 1024u);
  EXPECT_EQ(r->sector, 3u);
  EXPECT_EQ(r->status, GuestAddress(0x100));
}

TEST_F(RequestTest, StatusByteMayShareTheDataDescriptor) {
  ChainBuffers c = Chain(kBlkTIn, 0, {});
  c.writable = {{GuestAddress(0x2000), 513, true}};
  c.writable_bytes = 513;
  auto r = ParseBlkRequest(*mem_, c, limits_);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->immediate_status.has_value()) << r->error;
  EXPECT_EQ(r->data_len, 512u);
  EXPECT_EQ(r->status, GuestAddress(0x2000 + 512));
}

TEST_F(RequestTest, SegMaxAndSizeMaxGiveIoErr) {
  auto r = ParseBlkRequest(*mem_,
                           Chain(kBlkTIn, 0,
                                 {{GuestAddress(0x1000), 512, true},
                                  {GuestAddress(0x2000), 512, true},
                                  {GuestAddress(0x3000), 512, true}}),
                           limits_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->immediate_status, kBlkSIoErr);
  r = ParseBlkRequest(*mem_, Chain(kBlkTOut, 0, {{GuestAddress(0x1000), 8192, false}}), limits_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->immediate_status, kBlkSIoErr);
}

TEST_F(RequestTest, BoundsAndOverflow) {
  for (uint64_t sector : {uint64_t{100}, ~uint64_t{0}, ~uint64_t{0} / 512}) {
    auto r = ParseBlkRequest(*mem_, Chain(kBlkTIn, sector, {{GuestAddress(0x1000), 512, true}}),
                             limits_);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->immediate_status, kBlkSIoErr) << sector;
  }
  auto ok =
      ParseBlkRequest(*mem_, Chain(kBlkTIn, 99, {{GuestAddress(0x1000), 512, true}}), limits_);
  EXPECT_FALSE(ok->immediate_status.has_value());
}

TEST_F(RequestTest, NoWritableByteIsAProtocolError) {
  ChainBuffers c = Chain(kBlkTIn, 0, {});
  c.writable.clear();
  c.writable_bytes = 0;
  EXPECT_FALSE(ParseBlkRequest(*mem_, c, limits_).ok());
}

TEST_F(RequestTest, ShortHeaderAndUnknownType) {
  ChainBuffers c = Chain(kBlkTIn, 0, {});
  c.readable[0].len = 8;
  c.readable_bytes = 8;
  auto r = ParseBlkRequest(*mem_, c, limits_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->immediate_status, kBlkSIoErr);
  r = ParseBlkRequest(*mem_, Chain(99, 0, {}), limits_);
  EXPECT_EQ(r->immediate_status, kBlkSUnsupp);
}

TEST_F(RequestTest, DiscardSegmentsChecked) {
  BlkDiscardWriteZeroes segs[3] = {{0, 10, 0}, {90, 10, 0}, {95, 10, 0}};
  ASSERT_TRUE(mem_->WriteObj(GuestAddress(0x4000), segs).ok());
  auto r =
      ParseBlkRequest(*mem_, Chain(kBlkTDiscard, 0, {{GuestAddress(0x4000), 32, false}}), limits_);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->immediate_status.has_value()) << r->error;
  EXPECT_EQ(r->ranges.size(), 2u);
  // Three segments > max 2; the third also runs past the end.
  r = ParseBlkRequest(*mem_, Chain(kBlkTDiscard, 0, {{GuestAddress(0x4000), 48, false}}), limits_);
  EXPECT_EQ(r->immediate_status, kBlkSIoErr);
  r = ParseBlkRequest(*mem_, Chain(kBlkTDiscard, 0, {{GuestAddress(0x4020), 16, false}}), limits_);
  EXPECT_EQ(r->immediate_status, kBlkSIoErr);
  limits_.read_only = true;
  r = ParseBlkRequest(*mem_, Chain(kBlkTDiscard, 0, {{GuestAddress(0x4000), 16, false}}), limits_);
  EXPECT_EQ(r->immediate_status, kBlkSIoErr);
}

}  // namespace
}  // namespace virtio
}  // namespace vmm
