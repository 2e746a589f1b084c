#ifndef TESTS_VIRTIO_BLK_FIXTURE_H_
#define TESTS_VIRTIO_BLK_FIXTURE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/virtio/block/blk_spec.h"
#include "devices/virtio/block/block_device.h"
#include "devices/virtio/mmio/mmio_transport.h"
#include "tests/virtio/guest_driver.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {
namespace virtio {
namespace testing {

// A temporary raw image file, removed on destruction.
class TempImage {
 public:
  // Creates `bytes` bytes filled with a pattern derived from the offset.
  // In $TEST_TMPDIR, or in `dir` when given (e.g. /dev/shm for tmpfs).
  static TempImage Create(uint64_t bytes, const char* dir = nullptr);
  ~TempImage();
  TempImage(TempImage&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  const std::string& path() const { return path_; }
  std::vector<uint8_t> ReadAt(uint64_t offset, uint64_t len) const;
  static uint8_t Pattern(uint64_t offset) {
    return static_cast<uint8_t>((offset * 7 + (offset >> 9)) & 0xff);
  }

 private:
  explicit TempImage(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

struct BlkReply {
  uint8_t status = 0xff;
  uint32_t used_len = 0;
  std::vector<uint8_t> data;  // What the device wrote (IN, GET_ID).
};

// A virtio-blk device on an image, behind virtio-mmio, driven by a
// GuestDriver with `num_queues` queues of `queue_size`.
class BlkRig {
 public:
  static absl::StatusOr<std::unique_ptr<BlkRig>> Create(const BlockDeviceOptions& options,
                                                        uint64_t wanted_features = ~0ull,
                                                        uint16_t queue_size = 256);
  ~BlkRig();

  GuestDriver& driver() { return *driver_; }
  VirtioMmioTransport& transport() { return *transport_; }
  WaitableIrq& irq() { return *irq_; }
  GuestMemory& memory() { return *memory_; }
  uint64_t features() const { return features_; }
  BlockDevice& device() { return *device_; }

  // Builds a request chain (header, data, status) without kicking; returns
  // the status byte's address.
  struct Pending {
    uint16_t head;
    GuestAddress status;
    GuestAddress data;
    uint32_t in_len;
  };
  Pending Queue(uint16_t q, uint32_t type, uint64_t sector, const std::vector<uint8_t>& out,
                uint32_t in_len, bool indirect = false);
  BlkReply Finish(uint16_t q, const Pending& p);
  // Queue + kick + wait.
  BlkReply Do(uint16_t q, uint32_t type, uint64_t sector, const std::vector<uint8_t>& out,
              uint32_t in_len, bool indirect = false);
  // Re-runs negotiation and queue setup after a reset.
  absl::Status Reinit();

 private:
  BlkRig() = default;
  std::unique_ptr<GuestMemory> memory_;
  std::shared_ptr<BlockDevice> device_;
  std::shared_ptr<WaitableIrq> irq_;
  std::unique_ptr<VirtioMmioTransport> transport_;
  std::unique_ptr<GuestDriver> driver_;
  uint64_t wanted_ = 0;
  uint64_t features_ = 0;
  uint16_t queue_size_ = 0;
};

}  // namespace testing
}  // namespace virtio
}  // namespace vmm

#endif  // TESTS_VIRTIO_BLK_FIXTURE_H_
