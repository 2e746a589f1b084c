#ifndef DEVICES_VIRTIO_BLOCK_BLOCK_COUNTERS_H_
#define DEVICES_VIRTIO_BLOCK_BLOCK_COUNTERS_H_

#include <atomic>
#include <cstdint>

namespace vmm {
namespace virtio {

// A copy of a disk's counters (for GetVm).
struct BlockCountersSnapshot {
  uint64_t read_requests = 0;
  uint64_t write_requests = 0;
  uint64_t read_bytes = 0;   // Completed successfully.
  uint64_t write_bytes = 0;  // Completed successfully.
  uint64_t flushes = 0;
  uint64_t errors = 0;  // Requests answered IOERR or UNSUPP.
};

// Live counters, bumped by the device's worker thread, read from anywhere.
// They survive device resets (the device owns them, not the worker).
struct BlockCounters {
  std::atomic<uint64_t> read_requests{0};
  std::atomic<uint64_t> write_requests{0};
  std::atomic<uint64_t> read_bytes{0};
  std::atomic<uint64_t> write_bytes{0};
  std::atomic<uint64_t> flushes{0};
  std::atomic<uint64_t> errors{0};

  BlockCountersSnapshot Snapshot() const {
    BlockCountersSnapshot s;
    s.read_requests = read_requests.load(std::memory_order_relaxed);
    s.write_requests = write_requests.load(std::memory_order_relaxed);
    s.read_bytes = read_bytes.load(std::memory_order_relaxed);
    s.write_bytes = write_bytes.load(std::memory_order_relaxed);
    s.flushes = flushes.load(std::memory_order_relaxed);
    s.errors = errors.load(std::memory_order_relaxed);
    return s;
  }
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_BLOCK_BLOCK_COUNTERS_H_
