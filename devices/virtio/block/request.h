#ifndef DEVICES_VIRTIO_BLOCK_REQUEST_H_
#define DEVICES_VIRTIO_BLOCK_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/virtio/block/blk_spec.h"
#include "devices/virtio/queue/descriptor_chain.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {
namespace virtio {

// What the device allows, checked for every request.
struct BlkLimits {
  uint64_t capacity_sectors = 0;
  uint32_t seg_max = 0;   // data segments per request (VIRTIO_BLK_F_SEG_MAX)
  uint32_t size_max = 0;  // bytes per data segment (VIRTIO_BLK_F_SIZE_MAX)
  bool read_only = false;
  uint32_t max_discard_seg = 0;
  uint32_t max_discard_sectors = 0;
  uint32_t max_write_zeroes_seg = 0;
  uint32_t max_write_zeroes_sectors = 0;
};

// One parsed virtio-blk request (§5.2.6).
struct BlkRequest {
  uint16_t head = 0;
  uint32_t type = 0;
  uint64_t sector = 0;
  // IN and GET_ID: the device-writable data before the status byte. OUT: the
  // device-readable data after the header. Each piece is inside guest RAM.
  std::vector<Descriptor> data;
  uint64_t data_len = 0;
  // DISCARD and WRITE_ZEROES ranges, bounds-checked.
  std::vector<BlkDiscardWriteZeroes> ranges;
  // The status byte (the last device-writable byte, §5.2.6).
  GuestAddress status;
  // Set when the request is answered without I/O (malformed or refused:
  // IOERR / UNSUPP).
  std::optional<uint8_t> immediate_status;
  std::string error;  // Why, for the log.
};

// Parses a chain into a request. Errors in the request (bad sector, bad
// length, too many segments, writes to a read-only disk, unknown type)
// become `immediate_status`. Only a chain with no device-writable byte for
// the status is a protocol error (the device cannot even answer): that is
// returned as an error and marks the device broken.
absl::StatusOr<BlkRequest> ParseBlkRequest(const GuestMemory& memory, const ChainBuffers& chain,
                                           const BlkLimits& limits);

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_BLOCK_REQUEST_H_
