#ifndef ACCEL_ACCELERATOR_H_
#define ACCEL_ACCELERATOR_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {

// What stopped a vCPU. Run() returns it; the machine's vCPU loop is a switch
// over `kind` that forwards I/O to the bus (Cloud Hypervisor / Firecracker
// style: the backend never dispatches devices itself).
struct VcpuExit {
  enum class Kind {
    kIoIn,           // Port read: fill `data`, then call Run() again.
    kIoOut,          // Port write of `data`.
    kMmioRead,       // MMIO read: fill `data`, then call Run() again.
    kMmioWrite,      // MMIO write of `data`.
    kHalt,           // HLT with no interrupt source that could wake it.
    kShutdown,       // Triple fault / CPU shutdown: the guest crashed.
    kSystemReset,    // The platform asked for a reset (e.g. PSCI/SBI).
    kSystemOff,      // The platform asked for power off.
    kInterrupted,    // Kick() or a signal: the host wants the thread back.
    kInternalError,  // The backend failed to emulate something.
    kUnknown,        // An exit this interface has no name for.
  };
  Kind kind = Kind::kUnknown;
  // I/O: port or guest physical address.
  uint64_t address = 0;
  // Bytes per access (1, 2, 4, 8) and the number of repetitions (x86
  // string I/O: `data` holds size * count bytes).
  uint32_t size = 0;
  uint32_t count = 1;
  // The exit's data buffer, owned by the vCPU and valid until the next Run().
  // For reads the caller writes the result here.
  absl::Span<uint8_t> data;
  // Human-readable detail for errors and unknown exits.
  std::string detail;
};

const char* VcpuExitKindName(VcpuExit::Kind kind);

// One virtual CPU. Run() is called from exactly one thread; Kick() from any.
class Vcpu {
 public:
  virtual ~Vcpu() = default;

  virtual uint32_t id() const = 0;

  // Runs guest code until an exit that needs the host. Errors are host-side
  // failures (a broken fd), not guest behaviour.
  virtual absl::StatusOr<VcpuExit> Run() = 0;

  // Makes the current or next Run() on this vCPU return kInterrupted soon.
  // Async-safe with respect to the running thread; callable from any thread.
  virtual void Kick() = 0;

  // A one-line register summary (instruction pointer at least) for crash
  // messages.
  virtual std::string DescribeState() = 0;
};

// A virtual machine on some accelerator: guest RAM, vCPUs, interrupt inputs.
class AcceleratorVm {
 public:
  virtual ~AcceleratorVm() = default;

  // Makes guest RAM visible to vCPUs. `memory` must outlive the VM.
  virtual absl::Status MapMemory(const GuestMemory& memory) = 0;

  virtual absl::StatusOr<std::unique_ptr<Vcpu>> CreateVcpu(uint32_t id) = 0;

  // Drives interrupt controller input `gsi` (ISA IRQ n is GSI n on x86).
  // Thread-safe.
  virtual absl::Status SetIrqLine(uint32_t gsi, bool level) = 0;
};

// A CPU backend (KVM, later TCG): the factory for VMs. Selection (AUTO = KVM
// when guest arch == host arch and /dev/kvm works, else TCG) happens in the
// machine builder.
class Accelerator {
 public:
  virtual ~Accelerator() = default;
  virtual const char* name() const = 0;  // "kvm", "tcg"
  virtual absl::StatusOr<std::unique_ptr<AcceleratorVm>> CreateVm() = 0;
};

}  // namespace vmm

#endif  // ACCEL_ACCELERATOR_H_
