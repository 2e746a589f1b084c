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

// Where a function's MSI-X vectors go (PCI 3.0 §6.8). The function keeps
// the table, the mask bits and the PBA and decides when a vector fires; the
// machine decides how a message reaches a CPU (on KVM: one GSI routed to the
// message, an irqfd per vector). Device logic never sees this.
class MsixVectorSink {
 public:
  virtual ~MsixVectorSink() = default;
  // Vector `vector` now carries (`address`, `data`); `deliverable` is false
  // while MSI-X is disabled or the function or the vector is masked. Called
  // from vCPU threads, serialized by the function, before any Signal() that
  // relies on it. Values are guest-written: the sink refuses bad ones. A
  // non-deliverable Route() must not retract a Signal() already sent (the
  // guest masks right after; that interrupt is in flight, not pending).
  virtual void Route(uint16_t vector, uint64_t address, uint32_t data, bool deliverable) = 0;
  // Fires `vector` (its last Route() was deliverable). Any thread; cheap
  // and non-blocking (on KVM: an eventfd write, no ioctl).
  virtual void Signal(uint16_t vector) = 0;
};

}  // namespace pci
}  // namespace vmm

#endif  // DEVICES_VIRTIO_PCI_PCI_FUNCTION_H_
