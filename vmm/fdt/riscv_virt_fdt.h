#ifndef VMM_FDT_RISCV_VIRT_FDT_H_
#define VMM_FDT_RISCV_VIRT_FDT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vmm {

// Memory map of QEMU's riscv64 `virt` machine (hw/riscv/virt.c, virt_memmap),
// so OpenSBI's generic platform and Linux run unchanged. The device models in
// devices/riscv use the same constants.
namespace riscv_virt {
inline constexpr uint64_t kTestBase = 0x100000, kTestSize = 0x1000;
inline constexpr uint64_t kClintBase = 0x2000000, kClintSize = 0x10000;
inline constexpr uint64_t kPlicBase = 0xc000000;
inline constexpr uint64_t kUartBase = 0x10000000, kUartSize = 0x100;
inline constexpr uint64_t kVirtioBase = 0x10001000, kVirtioStride = 0x1000;
inline constexpr int kVirtioCount = 8;
inline constexpr uint64_t kDramBase = 0x80000000;
inline constexpr uint32_t kUartIrq = 10;
inline constexpr uint32_t kVirtioIrqBase = 1;  // Slot i uses IRQ 1 + i.
inline constexpr uint32_t kPlicNumSources = 96;  // VIRT_IRQCHIP_NUM_SOURCES.
inline constexpr uint32_t kTimebaseHz = 10000000;
inline constexpr uint32_t kUartClockHz = 3686400;
inline constexpr int kMaxHarts = 64;
// QEMU reserves room for 512 harts' contexts: VIRT_PLIC_SIZE(512 * 2).
inline constexpr uint64_t kPlicSize = 0x600000;
}  // namespace riscv_virt

struct RiscvVirtFdtConfig {
  int harts = 1;
  uint64_t memory_bytes = 256ull << 20;
  std::string mmu_type = "riscv,sv48";  // or "riscv,sv39".
  // The harts' riscv,isa: what Linux enables (e.g. the FPU only with "fd").
  std::string isa = "rv64imafdc_zicsr_zifencei";
  std::string bootargs;
  // Initrd location in guest physical memory, if any.
  std::optional<uint64_t> initrd_start;
  std::optional<uint64_t> initrd_end;
  int virtio_slots = riscv_virt::kVirtioCount;  // Transports to describe.
};

// The device tree of the `virt` machine for `config`, as a DTB.
absl::StatusOr<std::vector<uint8_t>> BuildRiscvVirtFdt(const RiscvVirtFdtConfig& config);

}  // namespace vmm

#endif  // VMM_FDT_RISCV_VIRT_FDT_H_
