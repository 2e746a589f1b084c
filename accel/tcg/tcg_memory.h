#ifndef ACCEL_TCG_TCG_MEMORY_H_
#define ACCEL_TCG_TCG_MEMORY_H_

#include <cstdint>

#include "devices/bus/bus.h"
#include "tcg/runtime/guest_memory_interface.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {

// What the JIT sees of a VM: guest RAM pages from GuestMemory, everything
// else through the MMIO bus. A TCG load or store to a device is a direct
// bus call on the vCPU thread (no VcpuExit round trip); an address no device
// claims is an access fault for the guest, as on hardware without a bus
// error-to-zero convention.
class TcgGuestMemory : public tcg::GuestMemoryInterface {
 public:
  // Both must outlive this object.
  TcgGuestMemory(GuestMemory* memory, Bus* mmio) : memory_(memory), mmio_(mmio) {}

  uint8_t* RamPage(uint64_t page_addr) override;
  absl::StatusOr<uint64_t> MmioRead(uint64_t addr, unsigned size) override;
  absl::Status MmioWrite(uint64_t addr, unsigned size, uint64_t value) override;

 private:
  GuestMemory* memory_;
  Bus* mmio_;
};

}  // namespace vmm

#endif  // ACCEL_TCG_TCG_MEMORY_H_
