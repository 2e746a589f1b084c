#ifndef TESTS_VIRTIO_GUEST_DRIVER_H_
#define TESTS_VIRTIO_GUEST_DRIVER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "devices/irq/interrupt_line.h"
#include "devices/virtio/mmio/mmio_transport.h"
#include "devices/virtio/queue/virtio_ring.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {
namespace virtio {
namespace testing {

// An interrupt line a test can wait on.
class WaitableIrq : public InterruptLine {
 public:
  void SetLevel(bool high) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (high) ++raised_;
    level_ = high;
    cv_.notify_all();
  }
  bool level() const {
    std::lock_guard<std::mutex> lock(mu_);
    return level_;
  }
  int raised() const {
    std::lock_guard<std::mutex> lock(mu_);
    return raised_;
  }
  // Waits until the line was raised at least `n` times in all.
  bool WaitRaised(int n, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return raised_ >= n; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool level_ = false;
  int raised_ = 0;
};

// A buffer of a chain, as the driver sees it.
struct Buf {
  GuestAddress addr;
  uint32_t len = 0;
  bool writable = false;
};

// Plays the guest's virtio driver against a virtio-mmio transport: it lays
// out rings and buffers in guest RAM and touches only the transport's
// registers and the RAM, exactly as a guest would (virtio 1.2 §3.1.1,
// §4.2.3). Single-threaded.
class GuestDriver {
 public:
  // Allocations start at `heap` in `memory`.
  GuestDriver(GuestMemory* memory, VirtioMmioTransport* transport, GuestAddress heap)
      : memory_(memory), transport_(transport), heap_(heap.value()) {}

  uint32_t ReadReg(uint64_t offset);
  void WriteReg(uint64_t offset, uint32_t value);
  uint8_t status() { return static_cast<uint8_t>(ReadReg(mmio::kStatus)); }

  // Bump-allocates zeroed guest RAM.
  GuestAddress Alloc(uint64_t len, uint64_t align = 16);
  uint64_t heap() const { return heap_; }
  void set_heap(uint64_t at) { heap_ = at; }

  // Reset, ACKNOWLEDGE, DRIVER, accept `wanted & offered`, FEATURES_OK and
  // check it stuck. Returns the accepted features.
  absl::StatusOr<uint64_t> Negotiate(uint64_t wanted);
  // Lays out queue `index` with `size` entries and marks it ready.
  absl::Status SetupQueue(uint16_t index, uint16_t size);
  void DriverOk() { WriteReg(mmio::kStatus, status() | 4); }
  void Reset() {
    WriteReg(mmio::kStatus, 0);
    queues_.clear();
  }

  // Writes a chain of `bufs` into free descriptor slots, publishes it in the
  // avail ring; returns the head. `indirect` puts the chain in an indirect
  // table instead (one main descriptor).
  uint16_t AddChain(uint16_t q, const std::vector<Buf>& bufs, bool indirect = false);
  // Raw access for hostile tests.
  void WriteDesc(uint16_t q, uint16_t i, const VirtqDesc& d);
  void PushAvail(uint16_t q, uint16_t head);
  void SetAvailIdx(uint16_t q, uint16_t idx);
  void SetUsedEvent(uint16_t q, uint16_t v);
  void SetAvailFlags(uint16_t q, uint16_t flags);
  uint16_t AvailEvent(uint16_t q);
  uint16_t UsedIdx(uint16_t q);
  // Used ring entry number `idx` (mod size), for drivers that poll.
  VirtqUsedElem UsedElemAt(uint16_t q, uint16_t idx);
  // Where SetupQueue put queue `q`'s rings (virtio 1.2 §2.7).
  GuestAddress desc_table(uint16_t q) const { return GuestAddress(queues_[q].desc); }
  GuestAddress avail_ring(uint16_t q) const { return GuestAddress(queues_[q].avail); }
  GuestAddress used_ring(uint16_t q) const { return GuestAddress(queues_[q].used); }

  void Kick(uint16_t q) { WriteReg(mmio::kQueueNotify, q); }
  // Waits until the used ring has an entry the driver has not consumed and
  // returns it; acknowledges the interrupt like a driver.
  absl::StatusOr<VirtqUsedElem> WaitUsed(
      uint16_t q, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Waits until status has `bits`.
  bool WaitStatus(uint8_t bits,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

  GuestMemory* memory() { return memory_; }

 private:
  struct Q {
    uint16_t size = 0;
    uint64_t desc = 0, avail = 0, used = 0;
    uint16_t avail_idx = 0;
    uint16_t last_used = 0;
    uint16_t next_slot = 0;
  };
  GuestMemory* memory_;
  VirtioMmioTransport* transport_;
  uint64_t heap_;
  std::vector<Q> queues_;
};

}  // namespace testing
}  // namespace virtio
}  // namespace vmm

#endif  // TESTS_VIRTIO_GUEST_DRIVER_H_
