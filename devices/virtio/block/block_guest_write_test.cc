// virtio-blk: after the driver's reset (status 0) returns, no guest byte
// changes any more, although reads were in flight in io_uring when the
// reset came (the kernel writes read data into guest RAM whenever a read
// completes: the reset must wait for them). Every request is either
// complete (status OK, data = the image) or untouched (status and data
// as the driver left them).
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "devices/virtio/block/blk_spec.h"
#include "devices/virtio/core/virtio_spec.h"
#include "devices/virtio/queue/guest_write_check.h"
#include "gtest/gtest.h"
#include "tests/virtio/blk_fixture.h"

namespace vmm {
namespace virtio {
namespace testing {
namespace {

constexpr uint64_t kImageBytes = 32ull << 20;
constexpr uint32_t kReadBytes = 1u << 20;
constexpr int kReads = 24;

TEST(BlockGuestWriteTest, NothingChangesAfterResetWithReadsInFlight) {
  TempImage img = TempImage::Create(kImageBytes);
  for (int round = 0; round < 5; ++round) {
    BlockDeviceOptions o;
    o.path = img.path();
    absl::StatusOr<std::unique_ptr<BlkRig>> rig = BlkRig::Create(o);
    ASSERT_TRUE(rig.ok()) << rig.status();
    GuestMemory& mem = (*rig)->memory();
    // One request first: the worker's start-up pass over the rings is over,
    // so the reads below are popped only at the kick, after their buffers
    // got the canary.
    ASSERT_EQ((*rig)->Do(0, kBlkTIn, 0, {}, 512).status, kBlkSOk);
    std::vector<BlkRig::Pending> reqs;
    for (int i = 0; i < kReads; ++i) {
      reqs.push_back((*rig)->Queue(0, kBlkTIn, (static_cast<uint64_t>(i) * kReadBytes) / 512, {}, kReadBytes));
      FillCanary(mem, reqs.back().data, kReadBytes);
    }
    (*rig)->driver().Kick(0);
    (*rig)->driver().Reset();
    ASSERT_FALSE((*rig)->device().activated());
    const std::vector<uint8_t> after_reset = Snapshot(mem, GuestAddress(0), 64ull << 20);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(WriteMap().Diff(mem, GuestAddress(0), after_reset), "") << "round " << round;

    int complete = 0;
    for (int i = 0; i < kReads; ++i) {
      const uint8_t status = mem.ReadObj<uint8_t>(reqs[i].status).value_or(0xfe);
      std::vector<uint8_t> data(kReadBytes);
      ASSERT_TRUE(mem.Read(reqs[i].data, absl::Span<uint8_t>(data)).ok());
      if (status == kBlkSOk) {
        ++complete;
        EXPECT_TRUE(data == img.ReadAt(static_cast<uint64_t>(i) * kReadBytes, kReadBytes)) << "request " << i;
      } else {
        // Never started: the data buffer still holds the canary.
        ASSERT_EQ(status, 0xff) << "request " << i;
        std::vector<uint8_t> fresh(kReadBytes);
        FillCanary(mem, reqs[i].data, kReadBytes);
        ASSERT_TRUE(mem.Read(reqs[i].data, absl::Span<uint8_t>(fresh)).ok());
        EXPECT_TRUE(data == fresh) << "request " << i << ": data written but never completed";
      }
    }
    RecordProperty("complete_round_" + std::to_string(round), complete);
  }
}

// A request prepared for io_uring in the same batch as a chain that breaks
// the device (no status byte: DEVICE_NEEDS_RESET) was left unsubmitted in
// the submission queue, pointing at the dead worker's iovecs and the old
// guest buffer. After the driver's reset and set-up, the first submit of
// the new activation sent it to the kernel: its completion carried an id
// the new worker had given to one of its own requests, which was then
// answered (IOERR) while its read was still running: the kernel writes a
// buffer the driver already got back. The reset now submits and drains it.
TEST(BlockGuestWriteTest, ReadBatchedWithABrokenChainIsDoneBeforeTheResetReturns) {
  TempImage img = TempImage::Create(kImageBytes);
  BlockDeviceOptions o;
  o.path = img.path();
  absl::StatusOr<std::unique_ptr<BlkRig>> rig = BlkRig::Create(o);
  ASSERT_TRUE(rig.ok()) << rig.status();
  GuestMemory& mem = (*rig)->memory();
  GuestDriver& d = (*rig)->driver();
  ASSERT_EQ((*rig)->Do(0, kBlkTIn, 0, {}, 512).status, kBlkSOk);  // id 1

  BlkRig::Pending a = (*rig)->Queue(0, kBlkTIn, 0, {}, 64 * 1024);  // id 2
  FillCanary(mem, a.data, 64 * 1024);
  GuestAddress hdr = d.Alloc(sizeof(BlkReqHeader));
  ASSERT_TRUE(mem.WriteObj(hdr, BlkReqHeader{kBlkTIn, 0, 0}).ok());
  d.AddChain(0, {{hdr, sizeof(BlkReqHeader), false}});  // No status byte.
  d.Kick(0);
  ASSERT_TRUE(d.WaitStatus(kStatusDeviceNeedsReset));
  d.Reset();
  const std::vector<uint8_t> at_reset = Snapshot(mem, a.data, 64 * 1024);

  // Set up again with reads already in the ring: the new worker's first
  // pass takes them (ids 1..4) into the same submit as anything stale.
  ASSERT_TRUE(d.Negotiate(~0ull).ok());
  ASSERT_TRUE(d.SetupQueue(0, 256).ok());
  std::vector<BlkRig::Pending> reads;
  for (int i = 0; i < 4; ++i) {
    reads.push_back((*rig)->Queue(0, kBlkTIn, 1024 + 128 * i, {}, 64 * 1024));
  }
  d.DriverOk();
  for (int i = 0; i < 4; ++i) {
    BlkReply c = (*rig)->Finish(0, reads[i]);
    EXPECT_EQ(c.status, kBlkSOk) << "read " << i;
    EXPECT_TRUE(c.data == img.ReadAt((1024 + 128 * i) * 512ull, 64 * 1024)) << "read " << i;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(Snapshot(mem, a.data, 64 * 1024) == at_reset)
      << "the old request's buffer was written after the reset";
}

}  // namespace
}  // namespace testing
}  // namespace virtio
}  // namespace vmm
