#ifndef DEVICES_VIRTIO_PCI_VIRTIO_PCI_TRANSPORT_H_
#define DEVICES_VIRTIO_PCI_VIRTIO_PCI_TRANSPORT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "devices/irq/interrupt_line.h"
#include "devices/virtio/core/transport_core.h"
#include "devices/virtio/core/virtio_device.h"
#include "devices/virtio/pci/pci_config_space.h"
#include "devices/virtio/pci/pci_function.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {
namespace virtio {

// BAR 0 layout of a virtio-pci modern device (offsets chosen here, told
// to the driver through the capabilities, virtio 1.2 §4.1.4).
namespace vpci {
inline constexpr uint64_t kCommonCfg = 0x0000;
inline constexpr uint64_t kCommonCfgSize = 0x3c;
inline constexpr uint64_t kIsrCfg = 0x1000;
inline constexpr uint64_t kDeviceCfg = 0x2000;
inline constexpr uint64_t kNotifyCfg = 0x3000;
inline constexpr uint32_t kNotifyOffMultiplier = 4;
inline constexpr uint64_t kMsixTable = 0x4000;
inline constexpr uint64_t kMsixPba = 0x5000;
inline constexpr uint64_t kBar0Size = 0x8000;
inline constexpr uint16_t kNoVector = 0xffff;  // VIRTIO_MSI_NO_VECTOR

// §4.1.4.3 struct virtio_pci_common_cfg field offsets.
inline constexpr uint32_t kDeviceFeatureSelect = 0x00;
inline constexpr uint32_t kDeviceFeature = 0x04;
inline constexpr uint32_t kDriverFeatureSelect = 0x08;
inline constexpr uint32_t kDriverFeature = 0x0c;
inline constexpr uint32_t kConfigMsixVector = 0x10;
inline constexpr uint32_t kNumQueues = 0x12;
inline constexpr uint32_t kDeviceStatus = 0x14;
inline constexpr uint32_t kConfigGeneration = 0x15;
inline constexpr uint32_t kQueueSelect = 0x16;
inline constexpr uint32_t kQueueSize = 0x18;
inline constexpr uint32_t kQueueMsixVector = 0x1a;
inline constexpr uint32_t kQueueEnable = 0x1c;
inline constexpr uint32_t kQueueNotifyOff = 0x1e;
inline constexpr uint32_t kQueueDesc = 0x20;
inline constexpr uint32_t kQueueDriver = 0x28;
inline constexpr uint32_t kQueueDevice = 0x30;
inline constexpr uint32_t kQueueNotifyData = 0x38;
inline constexpr uint32_t kQueueReset = 0x3a;

// §4.1.4 cfg_type values.
inline constexpr uint8_t kCapCommonCfg = 1;
inline constexpr uint8_t kCapNotifyCfg = 2;
inline constexpr uint8_t kCapIsrCfg = 3;
inline constexpr uint8_t kCapDeviceCfg = 4;
inline constexpr uint8_t kCapPciCfg = 5;
}  // namespace vpci

// A virtio device behind virtio-pci modern (§4.1): vendor 0x1af4, device
// 0x1040 + type, one 64-bit memory BAR holding the common, ISR, device and
// notify structures and the MSI-X table and PBA. With MSI-X enabled by the
// driver, vectors fire through an MsixVectorSink (told of every table, mask
// and enable change; masked vectors latch their PBA bit and fire on
// unmask); otherwise INTx on an InterruptLine, level-triggered, with the
// ISR status read-to-clear (§4.1.4.5).
class VirtioPciTransport : public pci::PciFunction, public VirtioTransportLink {
 public:
  VirtioPciTransport(std::shared_ptr<VirtioDevice> device, GuestMemory* memory,
                     std::shared_ptr<pci::MsixVectorSink> msix,
                     std::shared_ptr<InterruptLine> intx);
  // MSI-X table size for `device`: one vector per queue plus config.
  static uint16_t MsixEntriesFor(const VirtioDevice& device) {
    return static_cast<uint16_t>(device.num_queues() + 1);
  }
  ~VirtioPciTransport() override;

  // PciFunction.
  void ConfigRead(uint32_t offset, absl::Span<uint8_t> data) override;
  void ConfigWrite(uint32_t offset, absl::Span<const uint8_t> data) override;
  uint64_t BarAddress(int bar) const override;
  uint64_t BarSize(int bar) const override { return bar == 0 ? vpci::kBar0Size : 0; }
  void BarRead(int bar, uint64_t offset, absl::Span<uint8_t> data) override;
  void BarWrite(int bar, uint64_t offset, absl::Span<const uint8_t> data) override;

  // VirtioTransportLink, from device threads; never take mu_.
  void SignalUsed(uint16_t index) override;
  void SignalConfigChange() override ABSL_NO_THREAD_SAFETY_ANALYSIS;
  void MarkNeedsReset(absl::string_view reason) override ABSL_NO_THREAD_SAFETY_ANALYSIS;

  uint8_t status() const ABSL_NO_THREAD_SAFETY_ANALYSIS { return core_.status(); }
  uint16_t msix_entries() const { return msix_entries_; }

 private:
  void ReadCommon(uint64_t offset, absl::Span<uint8_t> data) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteCommon(uint64_t offset, absl::Span<const uint8_t> data)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void BuildCommon(uint8_t* image) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyCommonField(uint32_t field, const uint8_t* image) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void BarAccess(uint64_t offset, absl::Span<uint8_t> rdata, absl::Span<const uint8_t> wdata,
                 bool write) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // An interrupt for `vector` (MSI-X on: fire, or latch pending while
  // masked) or, with MSI-X off, INTx with `isr_bits` set in the ISR.
  void Interrupt(uint16_t vector, uint8_t isr_bits);
  // Tells the sink vector `v`'s message and whether it may fire now; fires
  // it if it was pending and may. Caller holds irq_mu_.
  void RouteVectorLocked(uint16_t v);
  bool DeliverableLocked(uint16_t v) const;
  void MsixTableAccess(uint64_t offset, absl::Span<uint8_t> rdata, absl::Span<const uint8_t> wdata,
                       bool write);
  void PciCfgWindow(bool write, absl::Span<uint8_t> rdata, absl::Span<const uint8_t> wdata)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<VirtioDevice> device_;
  const std::shared_ptr<pci::MsixVectorSink> msix_;
  const std::shared_ptr<InterruptLine> intx_;
  const uint16_t msix_entries_;

  absl::Mutex mu_;
  TransportCore core_ ABSL_GUARDED_BY(mu_);
  pci::PciConfigSpace config_ ABSL_GUARDED_BY(mu_);
  uint8_t msix_cap_ = 0;
  uint8_t pci_cfg_cap_ = 0;
  uint32_t device_feature_select_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t driver_feature_select_ ABSL_GUARDED_BY(mu_) = 0;
  uint16_t queue_select_ ABSL_GUARDED_BY(mu_) = 0;

  // Interrupt state, shared with device threads.
  std::mutex irq_mu_;
  struct MsixEntry {
    uint64_t address = 0;
    uint32_t data = 0;
    uint32_t control = 1;  // Masked at reset (PCI 3.0 §6.8.2.9).
  };
  std::vector<MsixEntry> msix_table_;  // Guarded by irq_mu_.
  std::vector<bool> msix_pending_;     // Guarded by irq_mu_.
  std::atomic<bool> msix_enabled_{false};
  std::atomic<bool> msix_function_mask_{false};
  std::atomic<uint16_t> config_vector_{vpci::kNoVector};
  std::vector<std::atomic<uint16_t>> queue_vectors_;
  std::atomic<uint8_t> isr_{0};
  bool intx_disabled_ = false;  // Command register bit 10; guarded by irq_mu_.
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_PCI_VIRTIO_PCI_TRANSPORT_H_
