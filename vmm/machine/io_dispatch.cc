#include "vmm/machine/io_dispatch.h"

#include <algorithm>

namespace vmm {

bool DispatchIoExit(const VcpuExit& exit, Bus* pio, Bus* mmio) {
  switch (exit.kind) {
    case VcpuExit::Kind::kIoIn:
    case VcpuExit::Kind::kIoOut: {
      if (exit.size == 0) return true;
      // The accelerator sized `data` as size * count; trust only what is
      // really there.
      size_t reps = std::min<size_t>(exit.count, exit.data.size() / exit.size);
      for (size_t i = 0; i < reps; ++i) {
        absl::Span<uint8_t> chunk = exit.data.subspan(i * exit.size, exit.size);
        if (exit.kind == VcpuExit::Kind::kIoIn) {
          if (pio != nullptr) {
            pio->Read(exit.address, chunk);
          } else {
            std::fill(chunk.begin(), chunk.end(), 0xff);
          }
        } else if (pio != nullptr) {
          pio->Write(exit.address, chunk);
        }
      }
      return true;
    }
    case VcpuExit::Kind::kMmioRead:
      mmio->Read(exit.address, exit.data);
      return true;
    case VcpuExit::Kind::kMmioWrite:
      mmio->Write(exit.address, exit.data);
      return true;
    default:
      return false;
  }
}

}  // namespace vmm
