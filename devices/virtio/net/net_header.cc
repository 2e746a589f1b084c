#include "devices/virtio/net/net_header.h"

#include "absl/strings/str_format.h"

namespace vmm {
namespace virtio {

absl::Status ValidateTxHeader(const VirtioNetHdr& hdr, uint64_t frame_len,
                              const TxLimits& limits) {
  if (frame_len < 14) {
    return absl::InvalidArgumentError(
        absl::StrFormat("frame of %d bytes: shorter than an Ethernet header (14)", frame_len));
  }
  if (hdr.flags & ~(kNetHdrFNeedsCsum | kNetHdrFDataValid)) {
    return absl::InvalidArgumentError(absl::StrFormat("vnet flags=0x%x: unknown bits", hdr.flags));
  }
  if (hdr.hdr_len > frame_len) {
    return absl::InvalidArgumentError(
        absl::StrFormat("vnet hdr_len=%d beyond the frame of %d bytes", hdr.hdr_len, frame_len));
  }
  if (hdr.flags & kNetHdrFNeedsCsum) {
    if (!limits.csum) {
      return absl::InvalidArgumentError("vnet NEEDS_CSUM without VIRTIO_NET_F_CSUM");
    }
    const uint64_t end = uint64_t{hdr.csum_start} + hdr.csum_offset + 2;
    if (end > frame_len) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "vnet csum_start=%d + csum_offset=%d + 2 beyond the frame of %d bytes", hdr.csum_start,
          hdr.csum_offset, frame_len));
    }
  }
  const uint8_t gso = hdr.gso_type & ~kNetHdrGsoEcn;
  const bool ecn = (hdr.gso_type & kNetHdrGsoEcn) != 0;
  if (gso == kNetHdrGsoNone) {
    if (ecn) return absl::InvalidArgumentError("vnet gso_type ECN without a GSO type");
    if (frame_len > limits.max_frame) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "frame of %d bytes above the negotiated maximum %d", frame_len, limits.max_frame));
    }
    return absl::OkStatus();
  }
  bool allowed = false;
  switch (gso) {
    case kNetHdrGsoTcpv4:
      allowed = limits.tso4;
      break;
    case kNetHdrGsoTcpv6:
      allowed = limits.tso6;
      break;
    case kNetHdrGsoUdp:
      allowed = limits.ufo && !ecn;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrFormat("vnet gso_type=0x%x: unknown", hdr.gso_type));
  }
  if (!allowed) {
    return absl::InvalidArgumentError(
        absl::StrFormat("vnet gso_type=0x%x not negotiated", hdr.gso_type));
  }
  if (!(hdr.flags & kNetHdrFNeedsCsum)) {
    return absl::InvalidArgumentError("vnet GSO frame without NEEDS_CSUM");
  }
  if (hdr.gso_size == 0) return absl::InvalidArgumentError("vnet GSO frame with gso_size=0");
  if (frame_len > kNetMaxGsoFrame) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "GSO frame of %d bytes above the maximum %d", frame_len, kNetMaxGsoFrame));
  }
  return absl::OkStatus();
}

}  // namespace virtio
}  // namespace vmm
