#ifndef VMM_MACHINE_X86_LINUX_BOOT_H_
#define VMM_MACHINE_X86_LINUX_BOOT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {

// Linux/x86 boot protocol (Documentation/arch/x86/boot.rst), 32-bit entry
// by default, 64-bit entry on request.
//
// 32-bit (the default): the guest starts at the protected-mode kernel's
// startup_32 (its load address, code32_start) in flat 32-bit mode with
// paging off, as QEMU's loader enters it. The decompressor then builds its
// own identity map of 4 GiB and takes no page faults. Entered at startup_64
// instead, it drops the loader's page tables, maps only its image and
// boot_params, and demand-faults every other 2 MiB it touches; delivering
// those early #PFs to a vCPU whose nested page tables are still empty is the
// path suspected in issue 3's first-run triple fault in the nested lab.
//
// 64-bit ("64-bit BOOT PROTOCOL"): startup_64 at load address + 0x200, in
// long mode on the loader's 4 GiB identity map (long_mode_boot.h) with
// __BOOT_CS 0x10 / __BOOT_DS 0x18 64-bit flat segments and RSI =
// boot_params, as Firecracker and cloud-hypervisor enter a bzImage.
//
// We require protocol 2.12 (Linux 3.8, 2013) or newer: 2.12 adds xloadflags,
// whose XLF_KERNEL_64 bit says the kernel is an x86_64 one; 2.10 gave us
// pref_address/init_size, which we need to place the kernel and the initrd
// without overlapping the kernel's decompression buffer.
// e820 entry types (ACPI 6.4 §15, "AddressRangeMemory"/"AddressRangeReserved").
constexpr uint32_t kE820Ram = 1;
constexpr uint32_t kE820Reserved = 2;

struct BzImageInfo {
  uint16_t version = 0;       // 0x0206: protocol version, e.g. 0x020f.
  uint64_t setup_bytes = 0;   // Boot sector + real-mode setup (skipped).
  uint64_t kernel_bytes = 0;  // The protected-mode kernel, after setup.
  uint64_t pref_address = 0;
  uint32_t init_size = 0;        // Memory the kernel needs from its load address.
  uint32_t kernel_alignment = 0;
  bool relocatable = false;
  uint32_t initrd_addr_max = 0;  // Highest byte address the initrd may use.
  uint32_t cmdline_size = 0;     // Longest command line, without the NUL.
};

// Parses and validates a bzImage's setup header. Errors say what is wrong
// ("truncated", "no HdrS magic", "protocol 2.06 < 2.12", "not 64-bit").
absl::StatusOr<BzImageInfo> ParseBzImage(absl::Span<const uint8_t> image);

// Where things go in guest memory, decided before anything is written so
// that size errors come before work.
struct LinuxBootPlan {
  uint64_t kernel_address = 0;
  uint64_t initrd_address = 0;
  uint64_t initrd_bytes = 0;
};

// Places the kernel and an initrd of `initrd_bytes` in `memory_bytes` of RAM
// (x86_layout::RamRegions) and checks the command line length.
absl::StatusOr<LinuxBootPlan> PlanLinuxBoot(const BzImageInfo& info, uint64_t memory_bytes,
                                            uint64_t initrd_bytes, size_t cmdline_length);

enum class LinuxEntryMode {
  k32Bit,  // startup_32, flat 32-bit protected mode, paging off.
  k64Bit,  // startup_64, long mode on the identity map.
};

struct LinuxEntry {
  LinuxEntryMode mode = LinuxEntryMode::k32Bit;
  uint64_t rip = 0;  // startup_32 (the load address) or startup_64 (+ 0x200).
  uint64_t rsi = 0;  // boot_params.
};

// Writes the protected-mode kernel, initrd, command line, boot_params (with
// the e820 map) and, for `mode` k32Bit, the boot GDT (boot_gdt.h); for
// k64Bit, the long-mode GDT and the identity map (long_mode_boot.h). `rsdp`
// is the ACPI RSDP address (0: none).
absl::StatusOr<LinuxEntry> LoadLinux(GuestMemory* memory, uint64_t memory_bytes,
                                     const BzImageInfo& info, const LinuxBootPlan& plan,
                                     absl::Span<const uint8_t> image,
                                     absl::Span<const uint8_t> initrd, absl::string_view cmdline,
                                     uint64_t rsdp, LinuxEntryMode mode = LinuxEntryMode::k32Bit);

// Reads a whole regular file of at most `max_bytes`; `what` names it in
// errors ("kernel /x: ...").
absl::StatusOr<std::string> ReadBootFile(absl::string_view what, const std::string& path,
                                         uint64_t max_bytes);

}  // namespace vmm

#endif  // VMM_MACHINE_X86_LINUX_BOOT_H_
