#ifndef TESTS_NET_NET_RIG_H_
#define TESTS_NET_NET_RIG_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "devices/virtio/mmio/mmio_transport.h"
#include "devices/virtio/net/net_device.h"
#include "tests/net/frames.h"
#include "tests/virtio/guest_driver.h"
#include "vmm/base/fd.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {
namespace net_testing {

// Moves the calling thread (and the threads it starts later) into a new,
// empty network namespace with `lo` up. Nothing outside it is touched; the
// namespace goes away with its last user (RFC: no cleanup needed).
absl::Status EnterNewNetns();

// Host side of the tap (in the current netns): address/prefix, up, and a
// permanent neighbour entry for the guest (no ARP needed).
absl::Status ConfigureHost(const std::string& ifname, uint32_t ip, int prefix);
absl::Status AddNeighbor(const std::string& ifname, uint32_t ip, const Mac& mac);
absl::StatusOr<Mac> InterfaceMac(const std::string& ifname);
// A UDP socket bound to ip:port with big buffers.
absl::StatusOr<Fd> UdpSocket(uint32_t ip, uint16_t port, int timeout_ms = 5000);

inline constexpr uint32_t kHostIp = Ip(10, 99, 0, 1);
inline constexpr uint32_t kGuestIp = Ip(10, 99, 0, 2);

struct RigOptions {
  uint16_t pairs = 1;
  uint16_t queue_size = 256;
  bool mrg_rxbuf = true;
  bool guest_offloads = true;  // GUEST_CSUM/TSO/UFO accepted by the driver.
  uint64_t wanted_features = ~0ull;
  virtio::NetDeviceOptions device;
};

// A virtio-net device on a fresh tap (in the current netns), behind
// virtio-mmio, driven by GuestDriver. The host end is configured as
// kHostIp/24 with a neighbour entry for kGuestIp. Single-threaded use of
// the driver side.
class NetRig {
 public:
  static absl::StatusOr<std::unique_ptr<NetRig>> Create(const RigOptions& options);
  ~NetRig();

  virtio::NetDevice& device() { return *device_; }
  virtio::testing::GuestDriver& driver() { return *driver_; }
  GuestMemory& memory() { return *memory_; }
  uint64_t features() const { return features_; }
  const Mac& guest_mac() const { return guest_mac_; }
  const Mac& host_mac() const { return host_mac_; }
  const std::string& ifname() const { return ifname_; }

  // Sends a ctrl command; returns the ack byte.
  absl::StatusOr<uint8_t> Ctrl(uint8_t cls, uint8_t cmd, const std::vector<uint8_t>& data);

  // Queues one frame (12-byte header + frame) on pair `pair`'s tx queue and
  // kicks unless `kick` is false. Blocks while the ring is full.
  absl::Status Send(uint16_t pair, const std::vector<uint8_t>& frame,
                    const virtio::VirtioNetHdr& hdr = {}, bool kick = true);
  // Waits until every queued tx frame was used.
  absl::Status FlushTx(uint16_t pair);
  // Raw tx chain for hostile tests (already laid out buffers).
  void SendRaw(uint16_t pair, const std::vector<virtio::testing::Buf>& bufs);

  // The next received frame on pair `pair` (vnet header stripped into
  // `hdr`), or nullopt on timeout.
  std::optional<std::vector<uint8_t>> Receive(
      uint16_t pair, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
      virtio::VirtioNetHdr* hdr = nullptr);
  uint64_t rx_frames(uint16_t pair) const { return rx_[pair].frames; }

 private:
  NetRig() = default;
  absl::Status Init(const RigOptions& options);
  uint16_t RxQ(uint16_t pair) const { return static_cast<uint16_t>(2 * pair); }
  uint16_t TxQ(uint16_t pair) const { return static_cast<uint16_t>(2 * pair + 1); }
  void PostRx(uint16_t pair, GuestAddress buf);
  void ReapTx(uint16_t pair, bool block);

  struct RxState {
    std::map<uint16_t, GuestAddress> by_head;
    uint32_t buf_len = 0;
    uint64_t frames = 0;
  };
  struct TxState {
    std::vector<GuestAddress> bufs;
    uint32_t buf_len = 0;
    uint32_t next = 0;
    uint32_t in_flight = 0;
    uint16_t used_seen = 0;
  };

  std::unique_ptr<GuestMemory> memory_;
  std::shared_ptr<virtio::NetDevice> device_;
  std::shared_ptr<virtio::testing::WaitableIrq> irq_;
  std::unique_ptr<virtio::VirtioMmioTransport> transport_;
  std::unique_ptr<virtio::testing::GuestDriver> driver_;
  uint64_t features_ = 0;
  uint16_t queue_size_ = 0;
  uint16_t pairs_ = 0;
  Mac guest_mac_{}, host_mac_{};
  std::string ifname_;
  std::vector<RxState> rx_;
  std::vector<TxState> tx_;
};

}  // namespace net_testing
}  // namespace vmm

#endif  // TESTS_NET_NET_RIG_H_
