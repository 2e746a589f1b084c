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

}  // namespace
}  // namespace testing
}  // namespace virtio
}  // namespace vmm
