#ifndef VMM_MACHINE_X86_LONG_MODE_BOOT_H_
#define VMM_MACHINE_X86_LONG_MODE_BOOT_H_

#include <cstdint>

#include "absl/status/status.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {

// What the Linux 64-bit boot protocol (boot.rst "64-bit BOOT PROTOCOL")
// needs besides boot_params: long mode with an identity map covering the
// kernel, boot_params, the command line and the initrd, and a GDT with flat
// 64-bit code at __BOOT_CS 0x10 and data at __BOOT_DS 0x18.

// Flat 64-bit code (L=1, D=0) at 0x10, flat data at 0x18, and a busy 64-bit
// TSS at 0x20 (16 bytes, limit 0x67; VM entry wants a usable TR). Written
// at x86_layout::kGdtAddress in place of kBootGdt (boot_gdt.h).
inline constexpr uint64_t kLongModeGdt[6] = {0, 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull,
                                             0x00008b0000000067ull, 0};
inline constexpr uint16_t kLongModeGdtLimit = sizeof(kLongModeGdt) - 1;

// The identity map covers [0, 4 GiB) with 2 MiB pages: everything the loader
// places (x86_layout.h: kernel, boot_params, command line and initrd all
// sit below the PCI hole at 3 GiB) plus the LAPIC/IOAPIC MMIO.
inline constexpr uint64_t kIdentityMapBytes = 4ull << 30;

// Writes the PML4 at x86_layout::kPml4Address, the PDPT at kPdptAddress and
// 4 page directories from kPdAddress (present, writable, 2 MiB pages; SDM
// vol. 3 §4.5). CR3 = kPml4Address.
absl::Status WriteIdentityMap(GuestMemory* memory);

// Writes kLongModeGdt at x86_layout::kGdtAddress.
absl::Status WriteLongModeGdt(GuestMemory* memory);

}  // namespace vmm

#endif  // VMM_MACHINE_X86_LONG_MODE_BOOT_H_
