#ifndef DEVICES_VIRTIO_VSOCK_VSOCK_SPEC_H_
#define DEVICES_VIRTIO_VSOCK_VSOCK_SPEC_H_

#include <cstdint>

namespace vmm {
namespace virtio {

// virtio 1.2 §5.10 Socket Device. All fields little-endian (x86/riscv hosts).
inline constexpr uint16_t kVsockRxQueue = 0;
inline constexpr uint16_t kVsockTxQueue = 1;
inline constexpr uint16_t kVsockEventQueue = 2;

inline constexpr uint64_t kVsockHostCid = 2;  // §5.10.4: "the host CID is 2".
inline constexpr uint64_t kVsockMinGuestCid = 3;

// §5.10.6: struct virtio_vsock_hdr.
#pragma pack(push, 1)
struct VsockHdr {
  uint64_t src_cid;
  uint64_t dst_cid;
  uint32_t src_port;
  uint32_t dst_port;
  uint32_t len;
  uint16_t type;
  uint16_t op;
  uint32_t flags;
  uint32_t buf_alloc;
  uint32_t fwd_cnt;
};
#pragma pack(pop)
static_assert(sizeof(VsockHdr) == 44, "virtio_vsock_hdr is 44 bytes");

inline constexpr uint16_t kVsockTypeStream = 1;

enum VsockOp : uint16_t {
  kVsockOpInvalid = 0,
  kVsockOpRequest = 1,
  kVsockOpResponse = 2,
  kVsockOpRst = 3,
  kVsockOpShutdown = 4,
  kVsockOpRw = 5,
  kVsockOpCreditUpdate = 6,
  kVsockOpCreditRequest = 7,
};

// SHUTDOWN flags (§5.10.6.5): the sender will not receive / not send more.
inline constexpr uint32_t kVsockShutdownRcv = 1;
inline constexpr uint32_t kVsockShutdownSend = 2;

// §5.10.6.7 event queue.
inline constexpr uint32_t kVsockEventTransportReset = 0;
struct VsockEvent {
  uint32_t id;
};

struct VsockConfig {
  uint64_t guest_cid;
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_VSOCK_VSOCK_SPEC_H_
