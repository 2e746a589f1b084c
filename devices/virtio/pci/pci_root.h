#ifndef DEVICES_VIRTIO_PCI_PCI_ROOT_H_
#define DEVICES_VIRTIO_PCI_PCI_ROOT_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "devices/bus/bus.h"
#include "devices/virtio/pci/pci_function.h"

namespace vmm {
namespace pci {

// PCI bus 0 behind a host bridge (function 0 of slot 0, a plain
// 8086:0d57-style host bridge header). Up to 31 more slots, function 0 only.
// Reached three ways, each a BusDevice:
//  - ConfigIo(): configuration mechanism #1, ports 0xCF8 (address) and
//    0xCFC..0xCFF (data), 8 ports (PCI 3.0 §3.2.2.3.2);
//  - Ecam(): the memory-mapped enhanced configuration space (PCIe 4.0
//    §7.2.2), 1 MiB per bus, 4 KiB per function: register it at the MCFG
//    base with size 1 MiB (bus 0 only);
//  - MmioWindow(): the window BARs are assigned in. Accesses are routed by
//    the BAR addresses the guest programmed, so BARs may move inside the
//    window without re-registering anything on the bus.
class PciRoot {
 public:
  // `window_base`/`window_size`: the guest-physical MMIO window for BARs.
  PciRoot(uint64_t window_base, uint64_t window_size);

  // Places `fn` in `slot` (1..31) and assigns its BARs inside the window
  // (the guest may reprogram them; firmware-less boots keep them).
  absl::Status AddFunction(int slot, std::shared_ptr<PciFunction> fn);

  std::shared_ptr<BusDevice> ConfigIo() { return config_io_; }
  std::shared_ptr<BusDevice> Ecam() { return ecam_; }
  std::shared_ptr<BusDevice> MmioWindow() { return window_; }
  uint64_t window_base() const { return window_base_; }
  uint64_t window_size() const { return window_size_; }

  // Config access by (slot, offset): what the three front ends call.
  void ConfigRead(int slot, uint32_t offset, absl::Span<uint8_t> data);
  void ConfigWrite(int slot, uint32_t offset, absl::Span<const uint8_t> data);
  // MMIO window access at guest address `addr`.
  void WindowRead(uint64_t addr, absl::Span<uint8_t> data);
  void WindowWrite(uint64_t addr, absl::Span<const uint8_t> data);

 private:
  PciFunction* Find(uint64_t addr, int* bar, uint64_t* offset);

  const uint64_t window_base_;
  const uint64_t window_size_;
  uint64_t next_bar_ = 0;  // Offset in the window for the next assignment.
  absl::Mutex mu_;
  std::array<std::shared_ptr<PciFunction>, 32> slots_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<BusDevice> config_io_;
  std::shared_ptr<BusDevice> ecam_;
  std::shared_ptr<BusDevice> window_;
};

}  // namespace pci
}  // namespace vmm

#endif  // DEVICES_VIRTIO_PCI_PCI_ROOT_H_
