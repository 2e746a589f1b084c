#ifndef DEVICES_VIRTIO_MMIO_MMIO_TRANSPORT_H_
#define DEVICES_VIRTIO_MMIO_MMIO_TRANSPORT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "devices/bus/bus.h"
#include "devices/irq/interrupt_line.h"
#include "devices/virtio/core/transport_core.h"
#include "devices/virtio/core/virtio_device.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {
namespace virtio {

// virtio-mmio register offsets, version 2 (virtio 1.2 §4.2.2, table
// "MMIO Device Register Layout").
namespace mmio {
inline constexpr uint64_t kMagicValue = 0x000;
inline constexpr uint64_t kVersion = 0x004;
inline constexpr uint64_t kDeviceId = 0x008;
inline constexpr uint64_t kVendorId = 0x00c;
inline constexpr uint64_t kDeviceFeatures = 0x010;
inline constexpr uint64_t kDeviceFeaturesSel = 0x014;
inline constexpr uint64_t kDriverFeatures = 0x020;
inline constexpr uint64_t kDriverFeaturesSel = 0x024;
inline constexpr uint64_t kQueueSel = 0x030;
inline constexpr uint64_t kQueueNumMax = 0x034;
inline constexpr uint64_t kQueueNum = 0x038;
inline constexpr uint64_t kQueueReady = 0x044;
inline constexpr uint64_t kQueueNotify = 0x050;
inline constexpr uint64_t kInterruptStatus = 0x060;
inline constexpr uint64_t kInterruptAck = 0x064;
inline constexpr uint64_t kStatus = 0x070;
inline constexpr uint64_t kQueueDescLow = 0x080;
inline constexpr uint64_t kQueueDescHigh = 0x084;
inline constexpr uint64_t kQueueDriverLow = 0x090;
inline constexpr uint64_t kQueueDriverHigh = 0x094;
inline constexpr uint64_t kQueueDeviceLow = 0x0a0;
inline constexpr uint64_t kQueueDeviceHigh = 0x0a4;
inline constexpr uint64_t kShmSel = 0x0ac;
inline constexpr uint64_t kShmLenLow = 0x0b0;
inline constexpr uint64_t kShmLenHigh = 0x0b4;
inline constexpr uint64_t kShmBaseLow = 0x0b8;
inline constexpr uint64_t kShmBaseHigh = 0x0bc;
inline constexpr uint64_t kConfigGeneration = 0x0fc;
inline constexpr uint64_t kConfig = 0x100;

inline constexpr uint32_t kMagic = 0x74726976;   // "virt"
inline constexpr uint32_t kVendor = 0x4d4d5631;  // "1VMM"
inline constexpr uint32_t kInterruptUsedBuffer = 1;
inline constexpr uint32_t kInterruptConfigChange = 2;
// The window a transport claims on the MMIO bus (registers + config).
inline constexpr uint64_t kWindowSize = 0x1000;
}  // namespace mmio

// A virtio device behind virtio-mmio version 2 (§4.2), as a bus device.
// The interrupt is level-triggered: the line is high while InterruptStatus
// is non-zero (§4.2.3.4).
class VirtioMmioTransport : public BusDevice, public VirtioTransportLink {
 public:
  // `memory` must outlive the transport.
  VirtioMmioTransport(std::shared_ptr<VirtioDevice> device, GuestMemory* memory,
                      std::shared_ptr<InterruptLine> irq);
  ~VirtioMmioTransport() override;

  // BusDevice. Registers take aligned 32-bit accesses (§4.2.2.2); other
  // sizes read as 0 and writes are dropped. Config space takes 1/2/4/8.
  absl::string_view name() const override { return device_->name(); }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

  // VirtioTransportLink, called from device threads.
  // They touch only the core's atomics (status, generation), never take
  // mu_: the transport holds mu_ while a reset joins the device's threads.
  void SignalUsed(uint16_t index) override;
  void SignalConfigChange() override ABSL_NO_THREAD_SAFETY_ANALYSIS;
  void MarkNeedsReset(absl::string_view reason) override ABSL_NO_THREAD_SAFETY_ANALYSIS;

  uint32_t interrupt_status() const { return interrupt_status_.load(); }
  uint8_t status() const ABSL_NO_THREAD_SAFETY_ANALYSIS { return core_.status(); }

 private:
  uint32_t ReadRegister(uint64_t offset) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteRegister(uint64_t offset, uint32_t value) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RaiseInterrupt(uint32_t bits);
  void ClearInterrupt(uint32_t bits);

  const std::shared_ptr<VirtioDevice> device_;
  const std::shared_ptr<InterruptLine> irq_;

  absl::Mutex mu_;
  TransportCore core_ ABSL_GUARDED_BY(mu_);
  uint32_t device_features_sel_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t driver_features_sel_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t queue_sel_ ABSL_GUARDED_BY(mu_) = 0;

  // Updated by device threads without mu_ (the transport holds mu_ while it
  // joins them on reset). irq_mu_ keeps the line level equal to
  // (interrupt_status_ != 0) across racing raise/ack.
  std::atomic<uint32_t> interrupt_status_{0};
  std::mutex irq_mu_;
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_MMIO_MMIO_TRANSPORT_H_
