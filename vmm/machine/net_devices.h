#ifndef VMM_MACHINE_NET_DEVICES_H_
#define VMM_MACHINE_NET_DEVICES_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "devices/virtio/net/net_device.h"
#include "devices/virtio/vsock/vsock_device.h"
#include "vmm/machine/machine.h"

namespace vmm {

// The spec's NICs (virtio-net on taps) and vsock device for one machine,
// any transport: the machine attaches devices() in this order (NICs in
// spec order, then vsock) and forwards the runtime controls here.
class NetDevices {
 public:
  // NICs use the worker's tap fds (NicConfig::tap_fds, duplicated) or, if
  // none are given, open the tap by name (attach) or create one. Errors
  // start with "nics[i]" / "vsock".
  static absl::StatusOr<std::unique_ptr<NetDevices>> Open(const MachineSpec& spec);

  // Devices with the eventfd behind each queue's kicks.
  struct Attachable {
    std::shared_ptr<virtio::VirtioDevice> device;
    std::function<int(uint16_t queue)> kick_fd;
  };
  std::vector<Attachable> devices() const;

  absl::Status SetNicRateLimit(uint32_t nic, const RateLimitConfig& rx, const RateLimitConfig& tx);
  absl::Status SetVsockCapture(std::shared_ptr<virtio::PcapWriter> writer);
  NetDeviceCounters Counters() const;

 private:
  std::vector<std::shared_ptr<virtio::NetDevice>> nics_;
  std::shared_ptr<virtio::VsockDevice> vsock_;
};

virtio::RateLimit ToDeviceRateLimit(const RateLimitConfig& c);

}  // namespace vmm

#endif  // VMM_MACHINE_NET_DEVICES_H_
