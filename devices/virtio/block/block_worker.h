#ifndef DEVICES_VIRTIO_BLOCK_BLOCK_WORKER_H_
#define DEVICES_VIRTIO_BLOCK_BLOCK_WORKER_H_

#include <sys/uio.h>

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "devices/virtio/block/block_counters.h"
#include "devices/virtio/block/disk_image.h"
#include "devices/virtio/block/request.h"
#include "devices/virtio/block/uring_engine.h"
#include "devices/virtio/core/virtio_device.h"

namespace vmm {
namespace virtio {

// The activated state of a virtio-blk device: owns the queues and runs the
// event loop on one thread. Kicks (eventfds, written by Notify or by KVM
// ioeventfd) pop chains, parse requests and submit them to io_uring with
// iovecs that point straight into guest RAM (no bounce buffer); the
// io_uring eventfd brings completions back here, where the status byte and
// the used ring are written and the interrupt is raised.
class BlockWorker {
 public:
  struct Setup {
    Activation activation;
    const DiskImage* image = nullptr;
    UringEngine* engine = nullptr;
    BlkLimits limits;
    std::string serial;         // At most 20 bytes.
    std::vector<int> kick_fds;  // Indexed by queue index.
    int stop_fd = -1;
    BlockCounters* counters = nullptr;  // Required; outlives the worker.
    // First io_uring user_data id. The engine outlives workers: ids carry
    // on across activations so that a completion left from an earlier one
    // can never be taken for a request of this one.
    uint64_t first_id = 1;
  };
  explicit BlockWorker(Setup setup);
  // The id the next request would get (for the next activation's first_id).
  uint64_t next_id() const { return next_id_; }

  // The thread body: returns when stop_fd becomes readable, after every
  // in-flight operation has completed and been returned in the used ring
  // (the kernel must be done with guest memory before the device lets the
  // queues go).
  void Run();

 private:
  struct Inflight {
    size_t queue = 0;  // Index into queues_.
    uint16_t head = 0;
    GuestAddress status;
    uint32_t used_len = 1;  // Bytes written for the driver on success.
    int pending = 0;        // Operations not yet completed.
    bool failed = false;
    int64_t expect = -1;  // Byte count a read/write must return (-1: res == 0).
    uint32_t type = 0;    // VIRTIO_BLK_T_*, for the counters.
    // WRITE_ZEROES ranges (offset, length), kept for a PUNCH_HOLE retry when
    // the host file system has no FALLOC_FL_ZERO_RANGE (tmpfs).
    std::vector<std::pair<off_t, off_t>> zero_ranges;
    bool retry_with_punch = false;
    std::vector<iovec> iov;
  };

  void ProcessQueue(size_t q);
  // Handles one parsed request; false if the engine has no room (the chain
  // is put back and the queue throttled).
  bool Start(size_t q, BlkRequest req);
  void CompleteNow(size_t q, uint16_t head, GuestAddress status, uint8_t value, uint32_t used_len);
  void OnCompletion(uint64_t id, int32_t res);
  void NotifyDirty();
  void Broken(const std::string& reason);

  Setup setup_;
  std::vector<ActiveQueue>& queues_;
  std::vector<bool> throttled_;
  std::vector<bool> dirty_;  // Used entries added since the last notify check.
  absl::flat_hash_map<uint64_t, std::unique_ptr<Inflight>> inflight_;
  uint64_t next_id_ = 1;
  bool broken_ = false;
  bool zero_range_unsupported_ = false;  // Sticky, after one EOPNOTSUPP.
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_BLOCK_BLOCK_WORKER_H_
