#ifndef VMM_MACHINE_RISCV_RISCV_BOOT_H_
#define VMM_MACHINE_RISCV_RISCV_BOOT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "vmm/memory/guest_memory.h"

namespace vmm::riscv_boot {

// Where things go in RAM (which starts at riscv_virt::kDramBase), as QEMU's
// `virt` does: firmware at the start of RAM, the kernel 2 MiB in (where
// OpenSBI's fw_dynamic jumps), the FDT in the last 2 MiB-aligned block that
// holds it, the initrd right below the FDT, and the fw_dynamic_info struct
// below the initrd (read by OpenSBI only, before Linux owns RAM).
inline constexpr uint64_t kKernelOffset = 0x200000;
inline constexpr const char* kDefaultFirmware =
    "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin";

// OpenSBI's struct fw_dynamic_info (include/sbi/fw_dynamic.h), version 2.
struct FwDynamicInfo {
  uint64_t magic = 0x4942534f;  // "OSBI"
  uint64_t version = 2;
  uint64_t next_addr = 0;
  uint64_t next_mode = 1;  // FW_DYNAMIC_INFO_NEXT_MODE_S
  uint64_t options = 0;
  uint64_t boot_hart = ~uint64_t{0};  // -1: any hart (OpenSBI's lottery)
};

struct Placement {
  uint64_t firmware = 0;
  uint64_t kernel = 0;
  uint64_t fdt = 0;
  uint64_t initrd = 0;  // 0: none
  uint64_t initrd_end = 0;
  uint64_t fw_info = 0;
};

// Plans the kernel-boot layout; errors say which image does not fit and how
// much memory would be needed.
absl::StatusOr<Placement> PlanKernelBoot(uint64_t ram_base, uint64_t ram_size,
                                         uint64_t firmware_size, uint64_t kernel_size,
                                         uint64_t initrd_size, uint64_t fdt_size);

// Loads a static little-endian RV64 ELF executable by physical address
// (every PT_LOAD checked against the file and against RAM, .bss zeroed).
// Returns the entry point. The image is untrusted: errors, never crashes.
absl::StatusOr<uint64_t> LoadElf(absl::Span<const uint8_t> image, GuestMemory* memory);

}  // namespace vmm::riscv_boot

#endif  // VMM_MACHINE_RISCV_RISCV_BOOT_H_
