#ifndef DEVICES_VIRTIO_NET_NET_DEVICE_H_
#define DEVICES_VIRTIO_NET_NET_DEVICE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/virtio/core/virtio_device.h"
#include "devices/virtio/core/virtio_spec.h"
#include "devices/virtio/net/net_counters.h"
#include "devices/virtio/net/net_spec.h"
#include "devices/virtio/net/net_worker.h"
#include "devices/virtio/net/rate_limiter.h"
#include "devices/virtio/net/tap.h"
#include "vmm/base/fd.h"

namespace vmm {
namespace virtio {

struct NetDeviceOptions {
  std::array<uint8_t, 6> mac{};  // GenerateMac(vm_id, nic) if not given.
  uint16_t mtu = 1500;           // 68..65535 - headers.
  uint16_t queue_size = 256;     // Max per queue; a power of 2 in 2..1024.
  // Offered offloads (the guest picks). Off = plain 1514-byte frames only.
  bool offloads = true;
  bool mrg_rxbuf = true;
  RateLimit rx_limit;  // host -> guest
  RateLimit tx_limit;  // guest -> host
};

// virtio-net (virtio 1.2 §5.1) on a tap. Queue layout: rx N = 2N, tx N =
// 2N+1 for N < tap.num_queues(), then the control queue. One NetWorker
// thread per queue pair while activated. The tap stays open for the
// device's life (owned here: a created tap goes away with the device).
class NetDevice : public VirtioDevice {
 public:
  static absl::StatusOr<std::unique_ptr<NetDevice>> Create(Tap tap,
                                                           const NetDeviceOptions& options);
  ~NetDevice() override;

  absl::string_view name() const override { return "virtio-net"; }
  uint32_t device_id() const override { return kDeviceIdNet; }
  uint16_t num_queues() const override { return static_cast<uint16_t>(2 * pairs_ + 1); }
  uint16_t max_queue_size() const override { return options_.queue_size; }
  uint64_t device_features() const override { return features_; }
  uint32_t config_size() const override { return sizeof(NetConfig); }
  void ReadConfig(uint32_t offset, absl::Span<uint8_t> data) const override;
  void WriteConfig(uint32_t offset, absl::Span<const uint8_t> data) override;
  absl::Status Activate(Activation activation) override;
  bool activated() const override { return !threads_.empty(); }
  void Notify(uint16_t index) override;
  void Reset() override;

  // The eventfd a kick of queue `index` writes (for KVM_IOEVENTFD).
  int kick_fd(uint16_t index) const { return kick_fds_[index].get(); }
  const Tap& tap() const { return tap_; }
  uint16_t max_pairs() const { return pairs_; }
  uint16_t active_pairs() const { return active_pairs_.load(); }

  // Counters since creation (survive guest resets). Thread-safe.
  NetCountersSnapshot counters() const { return counters_.Snapshot(); }
  // Changes the limits while running; takes effect at the next frame.
  // Thread-safe.
  void SetRateLimit(const RateLimit& rx, const RateLimit& tx);

 private:
  NetDevice(Tap tap, const NetDeviceOptions& options)
      : options_(options), tap_(std::move(tap)), pairs_(tap_.num_queues()) {}
  void SetPairs(uint16_t pairs);

  NetDeviceOptions options_;
  Tap tap_;
  uint16_t pairs_;
  uint64_t features_ = 0;
  NetConfig config_{};
  std::vector<Fd> kick_fds_;
  Fd stop_fd_;
  NetCounters counters_;
  RateLimiter rx_limiter_, tx_limiter_;
  std::atomic<uint16_t> active_pairs_{1};

  // Activated state.
  std::vector<ActiveQueue> queues_;
  std::vector<std::unique_ptr<NetWorker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_NET_NET_DEVICE_H_
