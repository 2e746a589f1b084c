#ifndef DEVICES_VIRTIO_QUEUE_SPLIT_QUEUE_H_
#define DEVICES_VIRTIO_QUEUE_SPLIT_QUEUE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "devices/virtio/queue/descriptor_chain.h"
#include "vmm/memory/guest_address.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {
namespace virtio {

// Where the driver put the three parts of one split virtqueue (§2.7).
struct QueueLayout {
  uint16_t size = 0;
  GuestAddress desc;
  GuestAddress avail;  // "driver area"
  GuestAddress used;   // "device area"
};

struct QueueFeatures {
  bool event_idx = false;  // VIRTIO_F_EVENT_IDX (§2.7.7, §2.7.10)
  bool indirect = false;   // VIRTIO_F_INDIRECT_DESC (§2.7.5.3)
};

// Default cap on the bytes of one chain: far above any real request, low
// enough that sums of lengths stay small.
inline constexpr uint64_t kDefaultMaxChainBytes = 1ull << 32;

// The device side of one split virtqueue over GuestMemory. All guest values
// are checked; every error means the driver broke the protocol and the
// caller marks the device DEVICE_NEEDS_RESET. Not thread-safe: one device
// thread owns a queue after activation.
class SplitQueue {
 public:
  // Checks the layout: size a power of two in 1..32768 and at most
  // `max_size`, each part aligned (§2.7 table) and entirely inside RAM.
  static absl::StatusOr<SplitQueue> Create(GuestMemory* memory, const QueueLayout& layout,
                                           uint16_t max_size, QueueFeatures features);

  uint16_t size() const { return layout_.size; }
  void set_max_chain_bytes(uint64_t bytes) { max_chain_bytes_ = bytes; }

  // The next chain the driver made available, or nullopt if none. Fails if
  // avail.idx moved by more than the queue size or a head is out of range.
  absl::StatusOr<std::optional<DescriptorChain>> Pop();

  // Puts the chain of the last Pop back: the next Pop returns it again
  // (used when the backend cannot take more requests right now).
  void Undo();

  // Returns a chain to the driver with `len` bytes written (§2.7.8). Only a
  // head that Pop handed out and that was not returned since: returning a
  // chain twice would make the driver free its buffers twice (and the
  // device would write buffers the driver reused), so that is refused
  // without writing anything. Likewise Pop refuses a head the driver made
  // available again while the device still holds it.
  absl::Status AddUsed(uint16_t head, uint32_t len);

  // Whether the driver wants an interrupt for the used entries added since
  // the last call (§2.7.10: used_event with EVENT_IDX, else the
  // NO_INTERRUPT flag). Updates the baseline.
  absl::StatusOr<bool> ShouldNotify();

  // Asks the driver for kicks again (EVENT_IDX: avail_event = next index;
  // else clears VIRTQ_USED_F_NO_NOTIFY) and returns true if buffers arrived
  // meanwhile, so the caller must Pop again before sleeping.
  absl::StatusOr<bool> EnableNotification();
  // Tells the driver that kicks are not needed while the device is busy.
  absl::Status DisableNotification();

  // Index of the next chain to pop / used entry to write (for state save and
  // tests).
  uint16_t next_avail() const { return next_avail_; }
  uint16_t next_used() const { return next_used_; }

 private:
  SplitQueue(GuestMemory* memory, const QueueLayout& layout, QueueFeatures features)
      : memory_(memory), layout_(layout), features_(features), in_flight_(layout.size, false) {}

  absl::StatusOr<uint16_t> ReadAvailIdx() const;

  GuestMemory* memory_;
  QueueLayout layout_;
  QueueFeatures features_;
  uint64_t max_chain_bytes_ = kDefaultMaxChainBytes;
  uint16_t next_avail_ = 0;
  uint16_t next_used_ = 0;
  uint16_t signalled_used_ = 0;
  bool signalled_used_valid_ = false;
  std::vector<bool> in_flight_;  // By head: popped, not yet returned.
  uint16_t last_popped_ = 0;
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_QUEUE_SPLIT_QUEUE_H_
