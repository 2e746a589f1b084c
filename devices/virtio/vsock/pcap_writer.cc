#include "devices/virtio/vsock/pcap_writer.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_format.h"
#include "vmm/base/errno_status.h"

namespace vmm {
namespace virtio {

namespace {
// https://wiki.wireshark.org/Development/LibpcapFileFormat
struct PcapFileHeader {
  uint32_t magic = 0xa1b2c3d4;  // Microsecond timestamps.
  uint16_t version_major = 2;
  uint16_t version_minor = 4;
  int32_t thiszone = 0;
  uint32_t sigfigs = 0;
  uint32_t snaplen = 1u << 18;
  uint32_t network = kLinkTypeVsock;
};
struct PcapRecordHeader {
  uint32_t ts_sec;
  uint32_t ts_usec;
  uint32_t incl_len;
  uint32_t orig_len;
};
// Payload bytes kept per record; virtio-vsock packets are at most 64 KiB
// (VIRTIO_VSOCK_MAX_PKT_BUF_SIZE) so this never cuts a real packet.
constexpr uint32_t kMaxCapturedPayload = (1u << 18) - sizeof(AfVsockmonHdr) - sizeof(VsockHdr);
}  // namespace

uint16_t VsockmonOp(uint16_t virtio_op) {
  switch (virtio_op) {
    case kVsockOpRequest:
    case kVsockOpResponse:
      return kAfVsockOpConnect;
    case kVsockOpRst:
    case kVsockOpShutdown:
      return kAfVsockOpDisconnect;
    case kVsockOpRw:
      return kAfVsockOpPayload;
    case kVsockOpCreditUpdate:
    case kVsockOpCreditRequest:
      return kAfVsockOpControl;
    default:
      return kAfVsockOpUnknown;
  }
}

absl::StatusOr<std::unique_ptr<PcapWriter>> PcapWriter::OpenFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return ErrnoStatus(absl::StrFormat("open capture file %s", path));
  return FromFd(std::move(fd));
}

absl::StatusOr<std::unique_ptr<PcapWriter>> PcapWriter::FromFd(Fd fd) {
  if (!fd) return absl::InvalidArgumentError("capture fd is not valid");
  std::unique_ptr<PcapWriter> w(new PcapWriter(std::move(fd)));
  absl::Status s = w->WriteHeader();
  if (!s.ok()) return s;
  return w;
}

absl::Status PcapWriter::WriteHeader() {
  std::lock_guard<std::mutex> lock(mu_);
  PcapFileHeader h;
  return WriteAll(&h, sizeof(h));
}

absl::Status PcapWriter::WriteAll(const void* data, size_t len) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  while (len > 0) {
    ssize_t n = ::write(fd_.get(), p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failed_ = true;
      return ErrnoStatus("write to vsock capture");
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status PcapWriter::Write(const VsockHdr& hdr, absl::Span<const uint8_t> payload) {
  const uint32_t keep =
      static_cast<uint32_t>(std::min<size_t>(payload.size(), kMaxCapturedPayload));
  AfVsockmonHdr mon{};
  mon.src_cid = hdr.src_cid;
  mon.dst_cid = hdr.dst_cid;
  mon.src_port = hdr.src_port;
  mon.dst_port = hdr.dst_port;
  mon.op = VsockmonOp(hdr.op);
  mon.transport = kAfVsockTransportVirtio;
  mon.len = sizeof(VsockHdr);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const uint64_t us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  PcapRecordHeader rec;
  rec.ts_sec = static_cast<uint32_t>(us / 1000000);
  rec.ts_usec = static_cast<uint32_t>(us % 1000000);
  rec.incl_len = sizeof(mon) + sizeof(hdr) + keep;
  rec.orig_len = rec.incl_len;
  // One buffer, one write: a record is never split between writes (for a
  // pipe, writes up to PIPE_BUF are atomic; larger ones still come whole
  // from this single writer under the lock).
  std::vector<uint8_t> buf(sizeof(rec) + rec.incl_len);
  uint8_t* p = buf.data();
  std::memcpy(p, &rec, sizeof(rec));
  p += sizeof(rec);
  std::memcpy(p, &mon, sizeof(mon));
  p += sizeof(mon);
  std::memcpy(p, &hdr, sizeof(hdr));
  p += sizeof(hdr);
  if (keep > 0) std::memcpy(p, payload.data(), keep);
  std::lock_guard<std::mutex> lock(mu_);
  if (failed_) return absl::OkStatus();
  absl::Status s = WriteAll(buf.data(), buf.size());
  if (s.ok()) ++packets_;
  return s;
}

uint64_t PcapWriter::packets() const {
  std::lock_guard<std::mutex> lock(mu_);
  return packets_;
}

bool PcapWriter::failed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_;
}

}  // namespace virtio
}  // namespace vmm
