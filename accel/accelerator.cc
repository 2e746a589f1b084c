#include "accel/accelerator.h"

namespace vmm {

const char* VcpuExitKindName(VcpuExit::Kind kind) {
  switch (kind) {
    case VcpuExit::Kind::kIoIn:
      return "io_in";
    case VcpuExit::Kind::kIoOut:
      return "io_out";
    case VcpuExit::Kind::kMmioRead:
      return "mmio_read";
    case VcpuExit::Kind::kMmioWrite:
      return "mmio_write";
    case VcpuExit::Kind::kHalt:
      return "halt";
    case VcpuExit::Kind::kShutdown:
      return "shutdown";
    case VcpuExit::Kind::kSystemReset:
      return "system_reset";
    case VcpuExit::Kind::kSystemOff:
      return "system_off";
    case VcpuExit::Kind::kInterrupted:
      return "interrupted";
    case VcpuExit::Kind::kInternalError:
      return "internal_error";
    case VcpuExit::Kind::kUnknown:
      return "unknown";
  }
  return "invalid";
}

}  // namespace vmm
