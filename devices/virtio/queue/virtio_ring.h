#ifndef DEVICES_VIRTIO_QUEUE_VIRTIO_RING_H_
#define DEVICES_VIRTIO_QUEUE_VIRTIO_RING_H_

#include <cstdint>

namespace vmm {
namespace virtio {

// Split virtqueue layout, virtio 1.2 §2.7. All fields little-endian (the
// hosts we run on are little-endian; a static_assert in split_queue.cc
// guards that).

// §2.7.5 The Virtqueue Descriptor Table.
struct VirtqDesc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
static_assert(sizeof(VirtqDesc) == 16, "virtq_desc is 16 bytes");

inline constexpr uint16_t kVirtqDescFNext = 1;
inline constexpr uint16_t kVirtqDescFWrite = 2;
inline constexpr uint16_t kVirtqDescFIndirect = 4;

// §2.7.6 The Virtqueue Available Ring: flags, idx, ring[size], used_event.
inline constexpr uint64_t kAvailFlagsOffset = 0;
inline constexpr uint64_t kAvailIdxOffset = 2;
inline constexpr uint64_t kAvailRingOffset = 4;
inline constexpr uint16_t kVirtqAvailFNoInterrupt = 1;

// §2.7.8 The Virtqueue Used Ring: flags, idx, ring[size] of {id, len},
// avail_event.
struct VirtqUsedElem {
  uint32_t id;
  uint32_t len;
};
static_assert(sizeof(VirtqUsedElem) == 8, "virtq_used_elem is 8 bytes");
inline constexpr uint64_t kUsedFlagsOffset = 0;
inline constexpr uint64_t kUsedIdxOffset = 2;
inline constexpr uint64_t kUsedRingOffset = 4;
inline constexpr uint16_t kVirtqUsedFNoNotify = 1;

// §2.7 Table "Virtqueue Part Alignment".
inline constexpr uint64_t kDescAlign = 16;
inline constexpr uint64_t kAvailAlign = 2;
inline constexpr uint64_t kUsedAlign = 4;

// §2.7: queue size is a power of 2, at most 32768.
inline constexpr uint16_t kMaxQueueSize = 32768;

inline constexpr uint64_t DescTableBytes(uint16_t size) { return 16ull * size; }
// flags + idx + ring + used_event.
inline constexpr uint64_t AvailRingBytes(uint16_t size) { return 6ull + 2ull * size; }
// flags + idx + ring + avail_event.
inline constexpr uint64_t UsedRingBytes(uint16_t size) { return 6ull + 8ull * size; }

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_QUEUE_VIRTIO_RING_H_
