#ifndef DEVICES_VIRTIO_VSOCK_VSOCK_DEVICE_H_
#define DEVICES_VIRTIO_VSOCK_VSOCK_DEVICE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "devices/virtio/core/virtio_device.h"
#include "devices/virtio/vsock/pcap_writer.h"
#include "devices/virtio/vsock/vsock_spec.h"
#include "vmm/base/fd.h"

namespace vmm {
namespace virtio {

struct VsockDeviceOptions {
  uint64_t guest_cid = 0;  // >= 3, unique per host (the manager's job).
  std::string uds_path;    // Hybrid-vsock socket; guest->host goes to <uds_path>_<port>.
  uint16_t queue_size = 256;
  // Receive buffer the device advertises per connection (buf_alloc): bytes
  // from the guest not yet written to the host socket never exceed it.
  uint32_t conn_buf_bytes = 256 * 1024;
  uint32_t max_connections = 1024;
};

// Snapshot of the device's counters (GetVm). "rx" is towards the guest, as
// the rx queue; "tx" is from the guest.
struct VsockCounters {
  uint64_t connections_current = 0;
  uint64_t connections_total = 0;
  uint64_t rx_bytes = 0;  // Payload bytes delivered to the guest.
  uint64_t tx_bytes = 0;  // Payload bytes accepted from the guest.
  uint64_t rst_sent = 0;
  uint64_t packets_dropped = 0;
  uint64_t buffered_bytes = 0;  // Guest->host bytes held by the device now.
};

// Shared between the device and its worker; all atomics or locked.
struct VsockShared {
  std::atomic<uint64_t> connections_current{0};
  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> rx_bytes{0};
  std::atomic<uint64_t> tx_bytes{0};
  std::atomic<uint64_t> rst_sent{0};
  std::atomic<uint64_t> packets_dropped{0};
  std::atomic<uint64_t> buffered_bytes{0};

  std::mutex capture_mu;
  std::shared_ptr<PcapWriter> capture ABSL_GUARDED_BY(capture_mu);
  void Capture(const VsockHdr& hdr, absl::Span<const uint8_t> payload);
};

class VsockWorker;

// virtio-vsock (§5.10) with the Firecracker "hybrid vsock" host side: host
// processes reach the guest through `uds_path` (CONNECT <port>\n), the guest
// reaches host listeners at `<uds_path>_<port>`. The listening socket lives
// as long as the device (connections made while no driver is active are
// closed at once, the hybrid-vsock reset); a VsockWorker thread (epoll) serves sockets and
// queues while activated. Reset closes every connection.
class VsockDevice : public VirtioDevice {
 public:
  // Checks the CID (>= 3, < 2^32 - 1: the Linux driver keeps CIDs in 32
  // bits), removes a stale socket file and listens on `uds_path`.
  static absl::StatusOr<std::unique_ptr<VsockDevice>> Create(const VsockDeviceOptions& options);
  ~VsockDevice() override;

  absl::string_view name() const override { return "virtio-vsock"; }
  uint32_t device_id() const override;
  uint16_t num_queues() const override { return 3; }
  uint16_t max_queue_size() const override { return options_.queue_size; }
  uint64_t device_features() const override;
  uint32_t config_size() const override { return sizeof(VsockConfig); }
  void ReadConfig(uint32_t offset, absl::Span<uint8_t> data) const override;
  void WriteConfig(uint32_t offset, absl::Span<const uint8_t> data) override;
  absl::Status Activate(Activation activation) override;
  bool activated() const override { return worker_ != nullptr; }
  void Notify(uint16_t index) override;
  void Reset() override;

  // The eventfd a kick of queue `index` writes (for a KVM ioeventfd).
  int kick_fd(uint16_t index) const { return kick_fds_[index].get(); }

  // Capture: any time, from any thread. Start replaces a running capture.
  absl::Status StartCapture(const std::string& path);
  absl::Status StartCaptureFd(Fd fd);  // Streaming form (pipe to tshark -r -).
  void StopCapture();
  // Uses a writer made elsewhere (nullptr stops): the worker keeps one
  // writer, and its file, across the devices of successive boots.
  void SetCaptureWriter(std::shared_ptr<PcapWriter> writer);
  bool capturing() const;

  VsockCounters counters() const;
  const VsockDeviceOptions& options() const { return options_; }

 private:
  explicit VsockDevice(const VsockDeviceOptions& options);
  // While inactive, a thread answers host connections with a reset.
  void StartIdleAcceptor();
  void StopIdleAcceptor();

  VsockDeviceOptions options_;
  Fd listen_fd_;
  std::vector<Fd> kick_fds_;
  Fd stop_fd_;
  std::unique_ptr<VsockShared> shared_ = std::make_unique<VsockShared>();

  std::unique_ptr<VsockWorker> worker_;
  std::thread thread_;
  Fd idle_stop_fd_;
  std::thread idle_thread_;
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_VSOCK_VSOCK_DEVICE_H_
