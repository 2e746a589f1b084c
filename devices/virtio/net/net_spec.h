#ifndef DEVICES_VIRTIO_NET_NET_SPEC_H_
#define DEVICES_VIRTIO_NET_NET_SPEC_H_

#include <cstdint>

namespace vmm {
namespace virtio {

// virtio 1.2 §5.1.3 Feature bits.
inline constexpr int kNetFCsum = 0;
inline constexpr int kNetFGuestCsum = 1;
inline constexpr int kNetFMtu = 3;
inline constexpr int kNetFMac = 5;
inline constexpr int kNetFGuestTso4 = 7;
inline constexpr int kNetFGuestTso6 = 8;
inline constexpr int kNetFGuestUfo = 10;
inline constexpr int kNetFHostTso4 = 11;
inline constexpr int kNetFHostTso6 = 12;
inline constexpr int kNetFHostUfo = 14;
inline constexpr int kNetFMrgRxbuf = 15;
inline constexpr int kNetFStatus = 16;
inline constexpr int kNetFCtrlVq = 17;
inline constexpr int kNetFCtrlRx = 18;
inline constexpr int kNetFMq = 22;

// §5.1.4 config: only the fields up to `mtu` are exposed.
#pragma pack(push, 1)
struct NetConfig {
  uint8_t mac[6];
  uint16_t status;
  uint16_t max_virtqueue_pairs;
  uint16_t mtu;
};
// §5.1.6 struct virtio_net_hdr (12 bytes with VERSION_1: num_buffers is
// always present).
struct VirtioNetHdr {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
  uint16_t num_buffers;
};
#pragma pack(pop)
static_assert(sizeof(NetConfig) == 12, "virtio_net_config prefix");
static_assert(sizeof(VirtioNetHdr) == 12, "virtio_net_hdr");

inline constexpr uint16_t kNetSLinkUp = 1;

inline constexpr uint8_t kNetHdrFNeedsCsum = 1;
inline constexpr uint8_t kNetHdrFDataValid = 2;
inline constexpr uint8_t kNetHdrGsoNone = 0;
inline constexpr uint8_t kNetHdrGsoTcpv4 = 1;
inline constexpr uint8_t kNetHdrGsoUdp = 3;
inline constexpr uint8_t kNetHdrGsoTcpv6 = 4;
inline constexpr uint8_t kNetHdrGsoEcn = 0x80;

// §5.1.6.5 control virtqueue.
inline constexpr uint8_t kNetOk = 0;
inline constexpr uint8_t kNetErr = 1;
inline constexpr uint8_t kNetCtrlRx = 0;
inline constexpr uint8_t kNetCtrlMac = 1;
inline constexpr uint8_t kNetCtrlMq = 4;
inline constexpr uint8_t kNetCtrlMqVqPairsSet = 0;
inline constexpr uint16_t kNetCtrlMqVqPairsMin = 1;
inline constexpr uint16_t kNetCtrlMqVqPairsMax = 0x8000;

// Largest frame a GSO header may describe: 64 KiB IP packet + Ethernet
// header (Linux's own limit for virtio-net / tap).
inline constexpr uint32_t kNetMaxGsoFrame = 65550;
// Ethernet header plus one VLAN tag on top of the MTU.
inline constexpr uint32_t kNetL2Overhead = 14 + 4;

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_NET_NET_SPEC_H_
