#ifndef DEVICES_VIRTIO_QUEUE_BUFFER_SLICE_H_
#define DEVICES_VIRTIO_QUEUE_BUFFER_SLICE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "devices/virtio/queue/descriptor_chain.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {
namespace virtio {

// Helpers that treat a list of descriptors as one byte stream (§2.6.4:
// devices make no assumption about message framing).

// The descriptors covering bytes [offset, offset + len) of `parts`, cut at
// the edges. Bytes past the end are simply absent (the caller compares the
// total). Zero-length pieces are dropped.
std::vector<Descriptor> SliceDescriptors(const std::vector<Descriptor>& parts, uint64_t offset,
                                         uint64_t len);

// Copies bytes [offset, offset + out.size()) of the stream into `out`.
absl::Status ReadStream(const GuestMemory& memory, const std::vector<Descriptor>& parts,
                        uint64_t offset, absl::Span<uint8_t> out);

// Copies `data` into the stream from its start.
absl::Status WriteStream(GuestMemory& memory, const std::vector<Descriptor>& parts,
                         absl::Span<const uint8_t> data);

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_QUEUE_BUFFER_SLICE_H_
