#ifndef VMM_MACHINE_IO_DISPATCH_H_
#define VMM_MACHINE_IO_DISPATCH_H_

#include "accel/accelerator.h"
#include "devices/bus/bus.h"

namespace vmm {

// Forwards an I/O exit to the bus it targets: port I/O to `pio` (each of a
// string I/O's `count` repetitions separately, in order), MMIO to `mmio`.
// Reads fill exit.data for the accelerator to complete on the next Run().
// Returns false if `exit` is not an I/O exit. `pio` may be null on machines
// without port I/O; port exits are then ignored (reads see all-ones).
bool DispatchIoExit(const VcpuExit& exit, Bus* pio, Bus* mmio);

}  // namespace vmm

#endif  // VMM_MACHINE_IO_DISPATCH_H_
