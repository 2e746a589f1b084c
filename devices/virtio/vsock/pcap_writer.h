#ifndef DEVICES_VIRTIO_VSOCK_PCAP_WRITER_H_
#define DEVICES_VIRTIO_VSOCK_PCAP_WRITER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "devices/virtio/vsock/vsock_spec.h"
#include "vmm/base/fd.h"

namespace vmm {
namespace virtio {

// LINKTYPE_VSOCK (271, tcpdump.org/linktypes.html): each frame is the
// vsockmon header (Linux include/uapi/linux/vsockmon.h, struct
// af_vsockmon_hdr) followed by the transport header (virtio_vsock_hdr) and
// the payload.
inline constexpr uint32_t kLinkTypeVsock = 271;

#pragma pack(push, 1)
struct AfVsockmonHdr {
  uint64_t src_cid;
  uint64_t dst_cid;
  uint32_t src_port;
  uint32_t dst_port;
  uint16_t op;         // enum af_vsockmon_op
  uint16_t transport;  // enum af_vsockmon_transport
  uint16_t len;        // Transport header length.
  uint8_t reserved[2];
};
#pragma pack(pop)
static_assert(sizeof(AfVsockmonHdr) == 32, "af_vsockmon_hdr is 32 bytes");

// enum af_vsockmon_op / af_vsockmon_transport.
inline constexpr uint16_t kAfVsockOpUnknown = 0;
inline constexpr uint16_t kAfVsockOpConnect = 1;
inline constexpr uint16_t kAfVsockOpDisconnect = 2;
inline constexpr uint16_t kAfVsockOpControl = 3;
inline constexpr uint16_t kAfVsockOpPayload = 4;
inline constexpr uint16_t kAfVsockTransportVirtio = 2;

// Maps a virtio vsock op to the vsockmon op as Linux's
// virtio_transport_build_skb does.
uint16_t VsockmonOp(uint16_t virtio_op);

// Writes a pcap stream (classic libpcap format, microsecond timestamps) to a
// file or a pipe. Each record is one write(2) of the whole record, so a
// reader never sees half a record after stop, reset or kill -9 of the VMM
// (the kernel holds what was written). Thread-safe.
class PcapWriter {
 public:
  // Truncates or creates `path` (mode 0600) and writes the file header.
  static absl::StatusOr<std::unique_ptr<PcapWriter>> OpenFile(const std::string& path);
  // Streams to `fd` (a pipe or socket; blocking writes: a slow reader slows
  // the device, it never makes the VMM buffer). Writes the header now.
  static absl::StatusOr<std::unique_ptr<PcapWriter>> FromFd(Fd fd);

  // Appends one packet. `payload` may be shorter than hdr.len (a hostile
  // packet): what is there is written. After a write error the writer is
  // failed and ignores further packets (the error is returned once).
  absl::Status Write(const VsockHdr& hdr, absl::Span<const uint8_t> payload);

  uint64_t packets() const;
  bool failed() const;

 private:
  explicit PcapWriter(Fd fd) : fd_(std::move(fd)) {}
  absl::Status WriteAll(const void* data, size_t len);
  absl::Status WriteHeader();

  mutable std::mutex mu_;
  Fd fd_ ABSL_GUARDED_BY(mu_);
  uint64_t packets_ ABSL_GUARDED_BY(mu_) = 0;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_VSOCK_PCAP_WRITER_H_
