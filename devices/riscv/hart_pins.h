#ifndef DEVICES_RISCV_HART_PINS_H_
#define DEVICES_RISCV_HART_PINS_H_

#include <memory>

#include "devices/irq/interrupt_line.h"

namespace vmm {

// The interrupt inputs of one RISC-V hart that devices drive (privileged
// spec, mip): MSIP and MTIP from the CLINT, MEIP and SEIP from the PLIC. The
// CPU backend implements the lines (e.g. setting bits it samples before each
// block and waking a hart sleeping in WFI); devices only set levels. The
// lines must not call back into the device that drives them.
struct HartInterruptPins {
  std::shared_ptr<InterruptLine> msip;
  std::shared_ptr<InterruptLine> mtip;
  std::shared_ptr<InterruptLine> meip;
  std::shared_ptr<InterruptLine> seip;
};

}  // namespace vmm

#endif  // DEVICES_RISCV_HART_PINS_H_
