#ifndef VMM_MACHINE_RISCV_RISCV_VIRTIO_SLOTS_H_
#define VMM_MACHINE_RISCV_RISCV_VIRTIO_SLOTS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "devices/bus/bus.h"
#include "devices/riscv/plic.h"
#include "devices/virtio/core/virtio_device.h"
#include "vmm/machine/machine.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {

// The riscv64 virt machine's eight virtio-mmio slots (QEMU `virt`: slot i
// at 0x10001000 + 0x1000*i, PLIC source 1+i; the FDT always describes all
// eight). Devices fill them in the order they are attached — the machine
// attaches spec.disks, then spec.nics, then vsock — and Finish() puts an
// empty slot (DeviceID 0, skipped by drivers) in every slot left.
class RiscvVirtioSlots {
 public:
  // The devices a spec asks for must fit in the slots; errors name the
  // fields and the count.
  static absl::Status CheckCount(const MachineSpec& spec);

  // `memory`, `plic` and `bus` must outlive the slots' transports (the
  // machine owns all four).
  RiscvVirtioSlots(GuestMemory* memory, Plic* plic, Bus* bus)
      : memory_(memory), plic_(plic), bus_(bus) {}

  // Puts `device` behind a virtio-mmio transport in the next free slot,
  // wired to that slot's PLIC source. `what` ("nics[0]") names it in errors.
  absl::Status Attach(std::shared_ptr<virtio::VirtioDevice> device, const std::string& what);

  // Fills the remaining slots with empty ones; returns every transport
  // attached (the machine keeps them for teardown order).
  absl::StatusOr<std::vector<std::shared_ptr<BusDevice>>> Finish();

 private:
  GuestMemory* const memory_;
  Plic* const plic_;
  Bus* const bus_;
  std::vector<std::shared_ptr<BusDevice>> transports_;
};

}  // namespace vmm

#endif  // VMM_MACHINE_RISCV_RISCV_VIRTIO_SLOTS_H_
