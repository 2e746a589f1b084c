#include "devices/virtio/queue/split_queue.h"

#include <atomic>

#include "absl/strings/str_format.h"
#include "devices/virtio/queue/virtio_ring.h"

namespace vmm {
namespace virtio {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "virtio rings are little-endian; this code reads them natively");

namespace {

absl::Status CheckPart(const GuestMemory* memory, const char* what, GuestAddress addr,
                       uint64_t bytes, uint64_t align) {
  if (addr.value() % align != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "virtqueue %s addr=0x%x: must be %d-byte aligned (§2.7)", what, addr.value(), align));
  }
  if (!memory->IsValidRange(addr, bytes)) {
    return absl::OutOfRangeError(absl::StrFormat("virtqueue %s addr=0x%x len=%d: outside guest RAM",
                                                 what, addr.value(), bytes));
  }
  return absl::OkStatus();
}

// §2.7.10: notify if new_idx passed event since old_idx (vring_need_event).
bool NeedEvent(uint16_t event, uint16_t new_idx, uint16_t old_idx) {
  return static_cast<uint16_t>(new_idx - event - 1) < static_cast<uint16_t>(new_idx - old_idx);
}

}  // namespace

absl::StatusOr<SplitQueue> SplitQueue::Create(GuestMemory* memory, const QueueLayout& layout,
                                              uint16_t max_size, QueueFeatures features) {
  const uint16_t size = layout.size;
  if (size == 0 || (size & (size - 1)) != 0 || size > max_size || size > kMaxQueueSize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("virtqueue size=%d: must be a power of 2 in 1..%d", size, max_size));
  }
  absl::Status s =
      CheckPart(memory, "descriptor table", layout.desc, DescTableBytes(size), kDescAlign);
  if (!s.ok()) return s;
  s = CheckPart(memory, "available ring", layout.avail, AvailRingBytes(size), kAvailAlign);
  if (!s.ok()) return s;
  s = CheckPart(memory, "used ring", layout.used, UsedRingBytes(size), kUsedAlign);
  if (!s.ok()) return s;
  return SplitQueue(memory, layout, features);
}

absl::StatusOr<uint16_t> SplitQueue::ReadAvailIdx() const {
  // Offsets were checked in Create: these reads cannot leave the ring.
  return memory_->LoadAtomic16(GuestAddress(layout_.avail.value() + kAvailIdxOffset));
}

absl::StatusOr<std::optional<DescriptorChain>> SplitQueue::Pop() {
  absl::StatusOr<uint16_t> avail_idx = ReadAvailIdx();
  if (!avail_idx.ok()) return avail_idx.status();
  const uint16_t pending = static_cast<uint16_t>(*avail_idx - next_avail_);
  if (pending == 0) return std::optional<DescriptorChain>();
  if (pending > layout_.size) {
    return absl::OutOfRangeError(absl::StrFormat(
        "avail.idx=%d jumped %d entries past the device's %d: more than the queue size %d",
        *avail_idx, pending, next_avail_, layout_.size));
  }
  // The ring entry is read after avail.idx (§2.7.13.3: the driver writes
  // the entry, then a barrier, then idx); the idx load has acquire order.
  // Ring indices use single-copy-atomic loads/stores: a torn idx would make
  // the device pop entries the driver never published.
  const uint64_t slot = next_avail_ % layout_.size;
  absl::StatusOr<uint16_t> head =
      memory_->LoadAtomic16(GuestAddress(layout_.avail.value() + kAvailRingOffset + 2 * slot));
  if (!head.ok()) return head.status();
  if (*head >= layout_.size) {
    return absl::OutOfRangeError(absl::StrFormat(
        "avail.ring[%d]=%d: head outside the queue of size %d", slot, *head, layout_.size));
  }
  if (in_flight_[*head]) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "avail.ring[%d]=%d: head made available again while the device still holds it", slot,
        *head));
  }
  in_flight_[*head] = true;
  last_popped_ = *head;
  ++next_avail_;
  return std::optional<DescriptorChain>(DescriptorChain(memory_, layout_.desc, layout_.size, *head,
                                                        features_.indirect, max_chain_bytes_));
}

void SplitQueue::Undo() {
  in_flight_[last_popped_] = false;
  --next_avail_;
}

absl::Status SplitQueue::AddUsed(uint16_t head, uint32_t len) {
  if (head >= layout_.size) {
    return absl::OutOfRangeError(
        absl::StrFormat("used head=%d: outside the queue of size %d", head, layout_.size));
  }
  if (!in_flight_[head]) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "used head=%d: not held by the device (returned twice, or never popped)", head));
  }
  in_flight_[head] = false;
  const uint64_t slot = next_used_ % layout_.size;
  absl::Status s = memory_->WriteObj(
      GuestAddress(layout_.used.value() + kUsedRingOffset + 8 * slot), VirtqUsedElem{head, len});
  if (!s.ok()) return s;
  // The element must be visible before the index that publishes it.
  std::atomic_thread_fence(std::memory_order_release);
  ++next_used_;
  return memory_->StoreAtomic16(GuestAddress(layout_.used.value() + kUsedIdxOffset), next_used_);
}

absl::StatusOr<bool> SplitQueue::ShouldNotify() {
  // The used.idx store must be ordered before reading the driver's
  // suppression fields (§2.7.10), hence a full fence.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  const uint16_t old = signalled_used_;
  const bool valid = signalled_used_valid_;
  signalled_used_ = next_used_;
  signalled_used_valid_ = true;
  if (features_.event_idx) {
    // used_event sits after the avail ring entries.
    absl::StatusOr<uint16_t> used_event = memory_->LoadAtomic16(
        GuestAddress(layout_.avail.value() + kAvailRingOffset + 2ull * layout_.size));
    if (!used_event.ok()) return used_event.status();
    if (!valid) return true;
    return NeedEvent(*used_event, next_used_, old);
  }
  absl::StatusOr<uint16_t> flags =
      memory_->LoadAtomic16(GuestAddress(layout_.avail.value() + kAvailFlagsOffset));
  if (!flags.ok()) return flags.status();
  return (*flags & kVirtqAvailFNoInterrupt) == 0;
}

absl::StatusOr<bool> SplitQueue::EnableNotification() {
  absl::Status s;
  if (features_.event_idx) {
    // avail_event sits after the used ring entries.
    s = memory_->StoreAtomic16(
        GuestAddress(layout_.used.value() + kUsedRingOffset + 8ull * layout_.size), next_avail_);
  } else {
    s = memory_->StoreAtomic16(GuestAddress(layout_.used.value() + kUsedFlagsOffset), 0);
  }
  if (!s.ok()) return s;
  // Publish the request for kicks before re-reading avail.idx, or a buffer
  // added in between would wait for a kick that never comes.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  absl::StatusOr<uint16_t> avail_idx = ReadAvailIdx();
  if (!avail_idx.ok()) return avail_idx.status();
  return *avail_idx != next_avail_;
}

absl::Status SplitQueue::DisableNotification() {
  // With EVENT_IDX the driver kicks only when it passes avail_event, which
  // lags behind while we work: nothing to do.
  if (features_.event_idx) return absl::OkStatus();
  return memory_->StoreAtomic16(GuestAddress(layout_.used.value() + kUsedFlagsOffset),
                                kVirtqUsedFNoNotify);
}

}  // namespace virtio
}  // namespace vmm
