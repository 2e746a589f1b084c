#ifndef DEVICES_VIRTIO_PCI_PCI_FUNCTION_H_
#define DEVICES_VIRTIO_PCI_PCI_FUNCTION_H_

#include <cstdint>

#include "absl/types/span.h"

namespace vmm {
namespace pci {

// One PCI function on the root bus, as the host bridge sees it: a
// configuration space (PCI Local Bus 3.0 §6) and memory BARs whose current
// addresses the guest programs through that space.
class PciFunction {
 public:
  virtual ~PciFunction() = default;
  // Config space access at `offset` (0..4095, size 1/2/4, naturally
  // aligned: the bridge checks). Reads fill `data`.
  virtual void ConfigRead(uint32_t offset, absl::Span<uint8_t> data) = 0;
  virtual void ConfigWrite(uint32_t offset, absl::Span<const uint8_t> data) = 0;

  // Memory BAR `bar` (0..5): its current guest address (0 when unassigned
  // or memory decoding is off) and size.
  virtual uint64_t BarAddress(int bar) const = 0;
  virtual uint64_t BarSize(int bar) const = 0;
  // An access at `offset` inside BAR `bar`.
  virtual void BarRead(int bar, uint64_t offset, absl::Span<uint8_t> data) = 0;
  virtual void BarWrite(int bar, uint64_t offset, absl::Span<const uint8_t> data) = 0;
};

// Where a device's MSI / MSI-X messages go: the machine wires it (KVM
// KVM_SIGNAL_MSI, or an irqfd on a GSI routed to this address/data).
class MsiSink {
 public:
  virtual ~MsiSink() = default;
  virtual void SendMsi(uint64_t address, uint32_t data) = 0;
};

}  // namespace pci
}  // namespace vmm

#endif  // DEVICES_VIRTIO_PCI_PCI_FUNCTION_H_
