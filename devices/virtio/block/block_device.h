#ifndef DEVICES_VIRTIO_BLOCK_BLOCK_DEVICE_H_
#define DEVICES_VIRTIO_BLOCK_BLOCK_DEVICE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/virtio/block/blk_spec.h"
#include "devices/virtio/block/block_counters.h"
#include "devices/virtio/block/block_worker.h"
#include "devices/virtio/block/disk_image.h"
#include "devices/virtio/block/request.h"
#include "devices/virtio/block/uring_engine.h"
#include "devices/virtio/core/virtio_device.h"
#include "vmm/base/fd.h"

namespace vmm {
namespace virtio {

struct BlockDeviceOptions {
  std::string path;
  bool read_only = false;
  std::string serial;  // GET_ID; at most 20 bytes.
  CacheMode cache_mode = CacheMode::kWriteback;
  uint16_t num_queues = 1;       // > 1 offers VIRTIO_BLK_F_MQ.
  uint16_t queue_size = 256;     // Max per queue; a power of 2 in 2..1024.
  uint32_t size_max = 1u << 20;  // Bytes per data segment.
  // io_uring operations in flight (0: queue_size * num_queues, at least 64).
  // At least 32, the most one discard request can need.
  uint32_t io_depth = 0;
};

// virtio-blk (§5.2) on a raw image file with an io_uring backend. Inactive
// until Activate (options, image, config space); activated while a
// BlockWorker thread serves the queues. Reset() stops the worker after its
// in-flight I/O has completed and returns to inactive; the image and its
// lock stay open for the device's life.
class BlockDevice : public VirtioDevice {
 public:
  // Opens and locks the image: a missing file or a locked image is an error
  // naming the path.
  static absl::StatusOr<std::unique_ptr<BlockDevice>> Create(const BlockDeviceOptions& options);
  ~BlockDevice() override;

  absl::string_view name() const override { return "virtio-blk"; }
  uint32_t device_id() const override;
  uint16_t num_queues() const override { return options_.num_queues; }
  uint16_t max_queue_size() const override { return options_.queue_size; }
  uint64_t device_features() const override { return features_; }
  uint32_t config_size() const override { return sizeof(BlkConfig); }
  void ReadConfig(uint32_t offset, absl::Span<uint8_t> data) const override;
  void WriteConfig(uint32_t offset, absl::Span<const uint8_t> data) override;
  absl::Status Activate(Activation activation) override;
  bool activated() const override { return worker_ != nullptr; }
  void Notify(uint16_t index) override;
  void Reset() override;

  // The eventfd a kick of queue `index` writes; the machine may register it
  // as a KVM ioeventfd on the notify address. Valid for the device's life.
  int kick_fd(uint16_t index) const { return kick_fds_[index].get(); }
  const BlkLimits& limits() const { return limits_; }
  // For GetVm; thread-safe, any thread.
  BlockCountersSnapshot counters() const { return counters_.Snapshot(); }

 private:
  BlockDevice(const BlockDeviceOptions& options, DiskImage image)
      : options_(options), image_(std::move(image)) {}

  BlockDeviceOptions options_;
  DiskImage image_;
  std::unique_ptr<UringEngine> engine_;
  std::vector<Fd> kick_fds_;
  Fd stop_fd_;
  uint64_t features_ = 0;
  BlkConfig config_{};
  BlkLimits limits_;
  BlockCounters counters_;

  // Activated state.
  std::unique_ptr<BlockWorker> worker_;
  uint64_t next_request_id_ = 1;  // Carried across activations (BlockWorker::Setup).
  std::thread thread_;
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_BLOCK_BLOCK_DEVICE_H_
