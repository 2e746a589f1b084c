#include "devices/virtio/queue/buffer_slice.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace vmm {
namespace virtio {

std::vector<Descriptor> SliceDescriptors(const std::vector<Descriptor>& parts, uint64_t offset,
                                         uint64_t len) {
  std::vector<Descriptor> out;
  uint64_t pos = 0;  // Stream offset of the current part.
  for (const Descriptor& d : parts) {
    if (len == 0) break;
    const uint64_t end = pos + d.len;
    if (end > offset && d.len > 0) {
      const uint64_t skip = offset > pos ? offset - pos : 0;
      const uint64_t take = std::min<uint64_t>(d.len - skip, len);
      // addr + skip stays inside the descriptor, which was checked in RAM.
      out.push_back(
          Descriptor{GuestAddress(d.addr.value() + skip), static_cast<uint32_t>(take), d.writable});
      len -= take;
      offset += take;
    }
    pos = end;
  }
  return out;
}

absl::Status ReadStream(const GuestMemory& memory, const std::vector<Descriptor>& parts,
                        uint64_t offset, absl::Span<uint8_t> out) {
  std::vector<Descriptor> pieces = SliceDescriptors(parts, offset, out.size());
  uint64_t done = 0;
  for (const Descriptor& d : pieces) {
    absl::Status s = memory.Read(d.addr, out.subspan(done, d.len));
    if (!s.ok()) return s;
    done += d.len;
  }
  if (done != out.size()) {
    return absl::OutOfRangeError(absl::StrFormat(
        "buffer read offset=%d len=%d: only %d bytes available", offset, out.size(), done));
  }
  return absl::OkStatus();
}

absl::Status WriteStream(GuestMemory& memory, const std::vector<Descriptor>& parts,
                         absl::Span<const uint8_t> data) {
  std::vector<Descriptor> pieces = SliceDescriptors(parts, 0, data.size());
  uint64_t done = 0;
  for (const Descriptor& d : pieces) {
    absl::Status s = memory.Write(d.addr, data.subspan(done, d.len));
    if (!s.ok()) return s;
    done += d.len;
  }
  if (done != data.size()) {
    return absl::OutOfRangeError(
        absl::StrFormat("buffer write len=%d: only %d bytes available", data.size(), done));
  }
  return absl::OkStatus();
}

}  // namespace virtio
}  // namespace vmm
