#ifndef VMM_MACHINE_X86_X86_LAYOUT_H_
#define VMM_MACHINE_X86_X86_LAYOUT_H_

#include <cstdint>
#include <vector>

namespace vmm {

// Guest-physical layout of the x86 machine for kernel boot. Everything the
// loader puts below 1 MiB sits in the first 640 KiB of conventional RAM or
// in the BIOS area [0x9fc00, 0x100000), which the e820 map reports reserved.
namespace x86_layout {

constexpr uint64_t kGdtAddress = 0x500;            // kBootGdt (boot_gdt.h).
constexpr uint64_t kZeroPageAddress = 0x7000;      // struct boot_params.
// 64-bit bzImage entry only (long_mode_boot.h): identity map of 4 GiB.
constexpr uint64_t kPml4Address = 0x9000;          // PML4,
constexpr uint64_t kPdptAddress = 0xa000;          // PDPT,
constexpr uint64_t kPdAddress = 0xb000;            // 4 PDs of 2 MiB pages, to 0xefff.
constexpr uint64_t kCmdlineAddress = 0x20000;      // Up to kMaxCmdline bytes.
constexpr uint64_t kMaxCmdline = 0x10000;
constexpr uint64_t kEbdaStart = 0x9fc00;           // Reserved up to 1 MiB.
constexpr uint64_t kAcpiTablesAddress = 0xe0000;   // RSDP first (ACPI 6.4 §5.2.5.1).
constexpr uint64_t kAcpiTablesSize = 0x10000;
constexpr uint64_t kHighMemoryStart = 0x100000;    // 1 MiB.
constexpr uint64_t kPciHoleStart = 3ull << 30;     // 3 GiB: MMIO, LAPIC, IOAPIC...
constexpr uint64_t k4GiB = 4ull << 30;             // RAM resumes here.
constexpr uint64_t kIoApicAddress = 0xfec00000;
constexpr uint64_t kLapicAddress = 0xfee00000;

// ACPI fixed hardware (devices/acpi/acpi_pm.h): PM1a event block, PM1a
// control block, reset register; SCI on ISA IRQ 9.
constexpr uint16_t kAcpiPmBase = 0x610;
constexpr uint16_t kAcpiPm1EventPort = kAcpiPmBase + 0;
constexpr uint16_t kAcpiPm1ControlPort = kAcpiPmBase + 4;
constexpr uint16_t kAcpiResetPort = kAcpiPmBase + 6;
constexpr uint16_t kAcpiPtsPort = kAcpiPmBase + 7;  // \_PTS's argument (acpi_pts_port.h).
constexpr uint8_t kAcpiSciIrq = 9;

// RAM regions for `memory_bytes` of guest RAM: below the PCI hole, then the
// rest from 4 GiB.
struct RamRegion {
  uint64_t start;
  uint64_t size;
};
inline std::vector<RamRegion> RamRegions(uint64_t memory_bytes) {
  if (memory_bytes <= kPciHoleStart) return {{0, memory_bytes}};
  return {{0, kPciHoleStart}, {k4GiB, memory_bytes - kPciHoleStart}};
}

}  // namespace x86_layout
}  // namespace vmm

#endif  // VMM_MACHINE_X86_X86_LAYOUT_H_
