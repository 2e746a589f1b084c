#ifndef DEVICES_VIRTIO_NET_NET_COUNTERS_H_
#define DEVICES_VIRTIO_NET_NET_COUNTERS_H_

#include <atomic>
#include <cstdint>

namespace vmm {
namespace virtio {

// A copy of a NIC's counters (for GetVm). rx = host -> guest, tx = guest ->
// host. Bytes count Ethernet frames without the vnet header.
struct NetCountersSnapshot {
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t rx_drops = 0;
  uint64_t rx_rate_limited = 0;  // Times rx paused for the limiter.
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_drops = 0;
  uint64_t tx_rate_limited = 0;
};

// Live counters, bumped by the queue-pair threads, read from anywhere.
struct NetCounters {
  std::atomic<uint64_t> rx_packets{0}, rx_bytes{0}, rx_drops{0}, rx_rate_limited{0};
  std::atomic<uint64_t> tx_packets{0}, tx_bytes{0}, tx_drops{0}, tx_rate_limited{0};

  NetCountersSnapshot Snapshot() const {
    NetCountersSnapshot s;
    s.rx_packets = rx_packets.load(std::memory_order_relaxed);
    s.rx_bytes = rx_bytes.load(std::memory_order_relaxed);
    s.rx_drops = rx_drops.load(std::memory_order_relaxed);
    s.rx_rate_limited = rx_rate_limited.load(std::memory_order_relaxed);
    s.tx_packets = tx_packets.load(std::memory_order_relaxed);
    s.tx_bytes = tx_bytes.load(std::memory_order_relaxed);
    s.tx_drops = tx_drops.load(std::memory_order_relaxed);
    s.tx_rate_limited = tx_rate_limited.load(std::memory_order_relaxed);
    return s;
  }
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_NET_NET_COUNTERS_H_
