#ifndef VMM_MACHINE_X86_PCI_DEVICES_H_
#define VMM_MACHINE_X86_PCI_DEVICES_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "accel/kvm/kvm_vm.h"
#include "devices/bus/bus.h"
#include "devices/virtio/core/virtio_device.h"
#include "devices/virtio/pci/pci_root.h"
#include "devices/virtio/pci/virtio_pci_transport.h"
#include "vmm/machine/x86/gsi_router.h"
#include "vmm/machine/x86/msix_irqfd.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {

// The x86 machine's PCI side: bus 0 behind a host bridge on configuration
// mechanism #1 (ports 0xCF8..0xCFF), BARs in a window of the 32-bit hole,
// and virtio devices attached over virtio-pci modern with
//  - MSI-X through KVM irqfds: each vector has a GSI whose MSI route
//    (GsiRouter, KVM_SET_GSI_ROUTING) follows the guest's table, mask and
//    enable bits, and an eventfd bound to it (KVM_IRQFD); device threads
//    signal by writing the eventfd. The path Linux's virtio_pci takes;
//  - INTx fallback on IOAPIC GSI 16 + (slot - 1) % 8, level-triggered, the
//    GSI written to the Interrupt Line register (PCI 3.0 §6.2.4);
//  - KVM ioeventfds on each queue's notify address, bound to the device's
//    kick eventfd, moved when the guest moves BAR 0 or turns decoding off.
//
// Guest-physical layout (x86_layout.h): RAM stops at 3 GiB, so the window
// [kWindowBase, kWindowBase + kWindowSize) = [3 GiB, 3.25 GiB) never overlaps
// RAM, the payload test device (0xd0000000), the IOAPIC/LAPIC or KVM's
// TSS pages; e820 reports only RAM, so Linux sees the window as a hole.
class X86PciDevices {
 public:
  static constexpr uint64_t kWindowBase = 0xc0000000;
  static constexpr uint64_t kWindowSize = 0x10000000;  // 256 MiB.
  static constexpr uint16_t kConfigPort = 0xcf8;
  static constexpr uint32_t kFirstIntxGsi = 16;
  // ECAM of bus 0 (PCIe 4.0 §7.2.2), 1 MiB, told to the guest by MCFG; in
  // the hole, clear of the window, the test device and the IOAPIC/LAPIC.
  static constexpr uint64_t kEcamBase = 0xe8000000;
  static constexpr uint64_t kEcamSize = 1 << 20;

  // Where each queue's kicks go: the eventfd the device's worker waits on,
  // or -1 to leave that queue's notify writes to the transport (a vCPU exit
  // and VirtioDevice::Notify).
  using KickFdFn = std::function<int(uint16_t queue)>;

  // Registers the host bridge, the ECAM and the window on `pio` / `mmio`. `vm`,
  // `memory`, `pio` and `mmio` must outlive this object.
  static absl::StatusOr<std::unique_ptr<X86PciDevices>> Create(KvmVm* vm, GuestMemory* memory,
                                                               Bus* pio, Bus* mmio);
  ~X86PciDevices();

  // Puts `device` in the next free slot over virtio-pci. Returns the slot.
  absl::StatusOr<int> AttachVirtio(std::shared_ptr<virtio::VirtioDevice> device,
                                   const KickFdFn& kick_fd);

  pci::PciRoot& root() { return *root_; }
  const GsiRouter& router() const { return *router_; }
  // The MSI-X vectors of the device in `slot` (1-based), or null.
  const KvmMsixVectors* msix(int slot) const {
    return slot >= 1 && static_cast<size_t>(slot) <= msix_.size() ? msix_[slot - 1].get()
                                                                   : nullptr;
  }

 private:
  class Slot;
  X86PciDevices(KvmVm* vm, GuestMemory* memory) : vm_(vm), memory_(memory) {}

  KvmVm* const vm_;
  GuestMemory* const memory_;
  // Destroyed last: the vectors' routes and irqfds refer to it.
  std::unique_ptr<GsiRouter> router_;
  std::unique_ptr<pci::PciRoot> root_;
  std::vector<std::shared_ptr<Slot>> slots_;
  std::vector<std::shared_ptr<KvmMsixVectors>> msix_;
};

}  // namespace vmm

#endif  // VMM_MACHINE_X86_PCI_DEVICES_H_
