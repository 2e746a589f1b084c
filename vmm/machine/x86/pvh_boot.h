#ifndef VMM_MACHINE_X86_PVH_BOOT_H_
#define VMM_MACHINE_X86_PVH_BOOT_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {

// PVH boot of an uncompressed ELF kernel (Linux `vmlinux`, CONFIG_PVH):
// the loader copies the PT_LOAD segments to their physical addresses and
// enters the 32-bit entry point named by the XEN_ELFNOTE_PHYS32_ENTRY note
// in flat protected mode, paging off, EBX = an hvm_start_info (Xen's
// docs/misc/pvh.pandoc, xen/include/public/arch-x86/hvm/start_info.h) that
// carries the command line, the initrd as module 0, the RSDP and the memory
// map. No decompressor runs: that is the point.

// True for an ELF file (vs a bzImage): the loader dispatches on this.
bool IsElfImage(absl::Span<const uint8_t> image);

struct PvhImageInfo {
  struct Segment {
    uint64_t file_offset = 0;
    uint64_t file_bytes = 0;
    uint64_t paddr = 0;
    uint64_t mem_bytes = 0;
  };
  uint32_t entry = 0;  // Physical 32-bit entry (XEN_ELFNOTE_PHYS32_ENTRY).
  std::vector<Segment> segments;
  uint64_t kernel_end = 0;  // Highest paddr + memsz.
};

// Parses and checks an ELF64 x86-64 image: headers and segments inside the
// file (overflow-safe), segments at or above 1 MiB, the PVH note present and
// pointing into a segment. Errors say what is wrong and what to use instead.
absl::StatusOr<PvhImageInfo> ParsePvhElf(absl::Span<const uint8_t> image);

// Linux copies at most COMMAND_LINE_SIZE - 1 bytes of a PVH command line.
constexpr size_t kPvhMaxCmdline = 2047;

struct PvhBootPlan {
  uint64_t initrd_address = 0;
  uint64_t initrd_bytes = 0;
};

// Checks the kernel and an initrd of `initrd_bytes` fit in `memory_bytes`
// (x86_layout::RamRegions) below the PCI hole, and the command line length.
absl::StatusOr<PvhBootPlan> PlanPvhBoot(const PvhImageInfo& info, uint64_t memory_bytes,
                                        uint64_t initrd_bytes, size_t cmdline_length);

struct PvhEntry {
  uint32_t eip = 0;
  uint32_t ebx = 0;  // hvm_start_info.
};

// Writes the segments, initrd, command line, hvm_start_info with its module
// list and memory map, and a GDT with flat 32-bit code (0x10) and data
// (0x18). `rsdp` is the ACPI RSDP (0: none).
absl::StatusOr<PvhEntry> LoadPvh(GuestMemory* memory, uint64_t memory_bytes,
                                 const PvhImageInfo& info, const PvhBootPlan& plan,
                                 absl::Span<const uint8_t> image, absl::Span<const uint8_t> initrd,
                                 absl::string_view cmdline, uint64_t rsdp);

// Where LoadPvh puts its structures (below 640 KiB, clear of boot_params,
// page tables and ACPI tables of the bzImage path).
constexpr uint64_t kPvhStartInfoAddress = 0x6000;
constexpr uint64_t kPvhModlistAddress = 0x6040;
constexpr uint64_t kPvhMemmapAddress = 0x6080;
constexpr uint32_t kPvhStartInfoMagic = 0x336ec578;

}  // namespace vmm

#endif  // VMM_MACHINE_X86_PVH_BOOT_H_
