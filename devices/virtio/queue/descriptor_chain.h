#ifndef DEVICES_VIRTIO_QUEUE_DESCRIPTOR_CHAIN_H_
#define DEVICES_VIRTIO_QUEUE_DESCRIPTOR_CHAIN_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "vmm/memory/guest_address.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {
namespace virtio {

// One buffer of a chain, already checked to lie inside guest RAM.
struct Descriptor {
  GuestAddress addr;
  uint32_t len = 0;
  bool writable = false;
};

// Walks one descriptor chain (virtio 1.2 §2.7.5), following at most one
// indirect table (§2.7.5.3). Every descriptor is read through GuestMemory and
// checked before it is handed out:
//  - the index is inside the table, and the walk is at most as long as the
//    table (queue size, or the indirect table's entries): a loop ends there;
//  - the buffer [addr, addr+len) lies inside guest RAM (no address wrap);
//  - a device-readable descriptor never follows a device-writable one
//    (§2.7.4.2: "the driver MUST place any device-writable descriptor
//    elements after any device-readable descriptor elements");
//  - an indirect descriptor is allowed only when VIRTIO_F_INDIRECT_DESC was
//    negotiated, not inside an indirect table, never with F_NEXT, with a
//    length that is a non-zero multiple of 16 and at most the queue size
//    entries (§2.7.5.3.1);
//  - the sum of all lengths stays at or below `max_total_len`.
// Any violation is an error: the caller marks the device broken.
class DescriptorChain {
 public:
  DescriptorChain(const GuestMemory* memory, GuestAddress desc_table, uint16_t queue_size,
                  uint16_t head, bool indirect_allowed, uint64_t max_total_len);

  uint16_t head() const { return head_; }

  // The next descriptor, nullopt after the last one, or an error naming the
  // violation (after an error the chain stays failed).
  absl::StatusOr<std::optional<Descriptor>> Next();

 private:
  absl::Status Fail(absl::Status status);

  const GuestMemory* memory_;
  uint16_t queue_size_;
  uint16_t head_;
  bool indirect_allowed_;
  uint64_t max_total_len_;

  GuestAddress table_;
  uint32_t table_entries_;
  uint32_t index_;
  uint32_t hops_ = 0;
  bool in_indirect_ = false;
  bool seen_writable_ = false;
  bool done_ = false;
  uint64_t total_len_ = 0;
  absl::Status error_;
};

// A whole chain split into its readable and writable parts.
struct ChainBuffers {
  uint16_t head = 0;
  std::vector<Descriptor> readable;
  std::vector<Descriptor> writable;
  uint64_t readable_bytes = 0;
  uint64_t writable_bytes = 0;
};

// Walks `chain` to its end.
absl::StatusOr<ChainBuffers> CollectChain(DescriptorChain& chain);

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_QUEUE_DESCRIPTOR_CHAIN_H_
