#ifndef DEVICES_VIRTIO_CORE_VIRTIO_DEVICE_H_
#define DEVICES_VIRTIO_CORE_VIRTIO_DEVICE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "devices/virtio/queue/split_queue.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {
namespace virtio {

// What a device may ask of its transport, whichever transport it is
// (virtio-mmio interrupt status + line, or virtio-pci ISR/MSI-X).
// Thread-safe: called from device threads.
class VirtioTransportLink {
 public:
  virtual ~VirtioTransportLink() = default;
  // Used buffer notification for queue `index` (§2.3).
  virtual void SignalUsed(uint16_t index) = 0;
  // Configuration change notification (§2.4.2).
  virtual void SignalConfigChange() = 0;
  // The driver broke the protocol: set DEVICE_NEEDS_RESET, notify a config
  // change (§2.1.2), log one line with `reason`.
  virtual void MarkNeedsReset(absl::string_view reason) = 0;
};

// What a device gets when the driver sets DRIVER_OK: the negotiated
// features, the ready queues (index kept: queues the driver left disabled
// are absent) and the guest memory. The link outlives the activation.
struct ActiveQueue {
  uint16_t index;
  SplitQueue queue;
};
struct Activation {
  uint64_t features = 0;
  GuestMemory* memory = nullptr;
  std::vector<ActiveQueue> queues;
  VirtioTransportLink* link = nullptr;
};

// A virtio device as seen by a transport. The device knows neither its
// transport nor the accelerator. Two states, as in Firecracker: inactive
// (features, config space) until Activate(), activated (owns the queues and
// its worker) until Reset() takes it back to inactive.
//
// Thread-safety: transports serialise calls (they hold their own lock);
// devices must be safe against their own worker threads.
class VirtioDevice {
 public:
  virtual ~VirtioDevice() = default;

  virtual absl::string_view name() const = 0;
  virtual uint32_t device_id() const = 0;
  virtual uint16_t num_queues() const = 0;
  virtual uint16_t max_queue_size() const = 0;
  // Features offered (must include VIRTIO_F_VERSION_1).
  virtual uint64_t device_features() const = 0;

  // Config space (§2.5). Out-of-range bytes read as zero / are ignored;
  // the transport bounds `offset + data.size()` to config_size() already.
  virtual uint32_t config_size() const = 0;
  virtual void ReadConfig(uint32_t offset, absl::Span<uint8_t> data) const = 0;
  virtual void WriteConfig(uint32_t offset, absl::Span<const uint8_t> data) = 0;

  // Takes the queues and starts serving them. An error leaves the device
  // inactive (the transport then sets DEVICE_NEEDS_RESET).
  virtual absl::Status Activate(Activation activation) = 0;
  virtual bool activated() const = 0;

  // The driver kicked queue `index` (notify register, or ioeventfd).
  virtual void Notify(uint16_t index) = 0;

  // Stops the worker, drops the queues; back to inactive (§2.4).
  virtual void Reset() = 0;
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_CORE_VIRTIO_DEVICE_H_
