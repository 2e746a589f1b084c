#ifndef VMM_MACHINE_X86_BOOT_GDT_H_
#define VMM_MACHINE_X86_BOOT_GDT_H_

#include <cstdint>

#include "absl/status/status.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {

// The GDT both kernel entries (bzImage 32-bit boot protocol, PVH) start on:
// flat 4 GiB 32-bit code at __BOOT_CS 0x10, data at __BOOT_DS 0x18
// (boot.rst "32-bit BOOT PROTOCOL"), and a busy 32-bit TSS at 0x20 with
// limit 0x67 (pvh.pandoc; VMX entry wants a usable TR).
inline constexpr uint64_t kBootGdt[5] = {0, 0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull,
                                         0x00008b0000000067ull};
inline constexpr uint16_t kBootGdtLimit = sizeof(kBootGdt) - 1;

// Writes kBootGdt at x86_layout::kGdtAddress.
absl::Status WriteBootGdt(GuestMemory* memory);

}  // namespace vmm

#endif  // VMM_MACHINE_X86_BOOT_GDT_H_
