#ifndef DEVICES_VIRTIO_NET_NET_HEADER_H_
#define DEVICES_VIRTIO_NET_NET_HEADER_H_

#include <cstdint>

#include "absl/status/status.h"
#include "devices/virtio/net/net_spec.h"

namespace vmm {
namespace virtio {

// What the driver may ask of the device on transmit, from the negotiated
// features (§5.1.6.2: the driver MUST NOT use offloads not negotiated).
struct TxLimits {
  bool csum = false;  // VIRTIO_NET_F_CSUM
  bool tso4 = false;  // HOST_TSO4
  bool tso6 = false;  // HOST_TSO6
  bool ufo = false;   // HOST_UFO
  // Largest frame without GSO: MTU + Ethernet header + one VLAN tag.
  uint32_t max_frame = 1500 + kNetL2Overhead;
};

// Checks a transmit header against the frame that follows it (`frame_len`
// bytes after the 12-byte header). The tap hands the header to the kernel
// as is, so everything the kernel would trust is checked here:
//  - flags only NEEDS_CSUM / DATA_VALID; NEEDS_CSUM needs CSUM negotiated
//    and csum_start + csum_offset + 2 <= frame_len;
//  - gso_type NONE / TCPV4 / TCPV6 / UDP (+ECN for TCP) and negotiated; a
//    GSO frame needs NEEDS_CSUM, gso_size > 0, and at most kNetMaxGsoFrame;
//  - hdr_len <= frame_len;
//  - without GSO, frame_len <= max_frame; every frame >= 14 (Ethernet).
absl::Status ValidateTxHeader(const VirtioNetHdr& hdr, uint64_t frame_len,
                              const TxLimits& limits);

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_NET_NET_HEADER_H_
