#ifndef DEVICES_VIRTIO_CORE_TRANSPORT_CORE_H_
#define DEVICES_VIRTIO_CORE_TRANSPORT_CORE_H_

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "devices/virtio/core/virtio_device.h"
#include "devices/virtio/core/virtio_spec.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {
namespace virtio {

// What the driver wrote for one queue before DRIVER_OK.
struct QueueConfig {
  uint16_t size = 0;
  bool ready = false;
  uint64_t desc = 0;
  uint64_t avail = 0;
  uint64_t used = 0;
};

// The transport-independent half of a virtio transport: device status state
// machine (§2.1, driver steps §3.1.1), feature negotiation, per-queue
// configuration, and activation/reset of the device. virtio-mmio and
// virtio-pci both map their registers onto it.
//
// Not thread-safe except where noted: the owning transport serialises
// register accesses under its own lock.
class TransportCore {
 public:
  // `device`, `memory` and `link` must outlive the core. max queue size is
  // the device's.
  TransportCore(VirtioDevice* device, GuestMemory* memory, VirtioTransportLink* link);

  VirtioDevice* device() const { return device_; }

  // 32-bit word `sel` (0: bits 0..31, 1: bits 32..63; others read 0).
  uint32_t DeviceFeatureWord(uint32_t sel) const;
  // Accepted only between DRIVER and FEATURES_OK (§3.1.1 steps 4-5).
  void WriteDriverFeatureWord(uint32_t sel, uint32_t value);
  uint64_t driver_features() const { return driver_features_; }

  // Thread-safe.
  uint8_t status() const { return status_.load(std::memory_order_acquire); }
  // Writing 0 resets the device (§2.4). Otherwise the driver may only add
  // bits, in order: FEATURES_OK is kept only if the accepted features are a
  // subset of the offered ones and include VERSION_1; DRIVER_OK activates
  // the device with the ready queues (any invalid queue layout, or a
  // failing activation, sets DEVICE_NEEDS_RESET instead).
  // Returns true if the write was a reset (transports clear their interrupt
  // state then).
  bool WriteStatus(uint8_t value);

  // Thread-safe: sets DEVICE_NEEDS_RESET and logs one line.
  void SetNeedsReset(absl::string_view reason);

  // nullptr if `index` is not a queue of the device.
  QueueConfig* queue(uint32_t index);
  // Queue registers take writes only before DRIVER_OK (§4.2.3.2).
  bool queues_writable() const { return (status() & kStatusDriverOk) == 0; }

  // Thread-safe; bumped on every configuration change notification.
  uint32_t config_generation() const { return config_generation_.load(); }
  void BumpConfigGeneration() { config_generation_.fetch_add(1); }

 private:
  void Reset();
  void Activate();

  VirtioDevice* const device_;
  GuestMemory* const memory_;
  VirtioTransportLink* const link_;
  std::atomic<uint8_t> status_{0};
  std::atomic<uint32_t> config_generation_{0};
  uint64_t driver_features_ = 0;
  std::vector<QueueConfig> queues_;
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_CORE_TRANSPORT_CORE_H_
