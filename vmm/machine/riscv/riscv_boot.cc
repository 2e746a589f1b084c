#include "vmm/machine/riscv/riscv_boot.h"

#include <elf.h>

#include <cstring>

#include "absl/strings/str_format.h"
#include "vmm/base/status_macros.h"

namespace vmm::riscv_boot {
namespace {

constexpr uint64_t k2MiB = 2 << 20;

uint64_t AlignDown(uint64_t v, uint64_t a) { return v & ~(a - 1); }
uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

}  // namespace

absl::StatusOr<Placement> PlanKernelBoot(uint64_t ram_base, uint64_t ram_size,
                                         uint64_t firmware_size, uint64_t kernel_size,
                                         uint64_t initrd_size, uint64_t fdt_size) {
  Placement p;
  p.firmware = ram_base;
  p.kernel = ram_base + kKernelOffset;
  if (firmware_size > kKernelOffset) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "firmware: %d bytes does not fit below the kernel at 0x%x (max %d)", firmware_size,
        p.kernel, kKernelOffset));
  }
  const uint64_t ram_end = ram_base + ram_size;
  if (fdt_size + k2MiB > ram_size) {
    return absl::InvalidArgumentError("memory_bytes: too small for the device tree");
  }
  p.fdt = AlignDown(ram_end - fdt_size, k2MiB);
  // The kernel image is followed by its .bss and early page tables: leave
  // it the image size again before anything else (Linux reserves the FDT
  // and initrd, not the space after its own image).
  const uint64_t kernel_end = AlignUp(p.kernel + 2 * kernel_size, k2MiB);
  uint64_t below = p.fdt;
  if (initrd_size > 0) {
    if (initrd_size > p.fdt - ram_base) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "initrd: %d bytes does not fit in %d bytes of RAM; raise memory_bytes", initrd_size,
          ram_size));
    }
    p.initrd = AlignDown(p.fdt - initrd_size, 4096);
    p.initrd_end = p.initrd + initrd_size;
    below = p.initrd;
  }
  p.fw_info = AlignDown(below - sizeof(FwDynamicInfo), 64);
  if (p.fw_info < kernel_end) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "memory_bytes=%d: too small for the kernel (%d bytes) and initrd (%d bytes); need "
        "about %d MiB",
        ram_size, kernel_size, initrd_size,
        (kernel_end - ram_base + initrd_size + fdt_size + 2 * k2MiB) >> 20));
  }
  return p;
}

absl::StatusOr<uint64_t> LoadElf(absl::Span<const uint8_t> image, GuestMemory* memory) {
  Elf64_Ehdr eh;
  if (image.size() < sizeof(eh)) return absl::InvalidArgumentError("payload: too short for ELF");
  std::memcpy(&eh, image.data(), sizeof(eh));
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB) {
    return absl::InvalidArgumentError("payload: not a little-endian ELF64 file");
  }
  if (eh.e_machine != EM_RISCV) {
    return absl::InvalidArgumentError(
        absl::StrFormat("payload: e_machine=%d, want %d (RISC-V)", eh.e_machine, EM_RISCV));
  }
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
      eh.e_phoff > image.size() ||
      (image.size() - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum) {
    return absl::InvalidArgumentError("payload: program headers out of the file");
  }
  int loaded = 0;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, image.data() + eh.e_phoff + i * sizeof(ph), sizeof(ph));
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    if (ph.p_filesz > ph.p_memsz || ph.p_offset > image.size() ||
        image.size() - ph.p_offset < ph.p_filesz) {
      return absl::InvalidArgumentError(absl::StrFormat("payload: segment %d out of the file", i));
    }
    if (!memory->IsValidRange(GuestAddress(ph.p_paddr), ph.p_memsz)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "payload: segment %d at 0x%x (+%d bytes) is outside guest RAM (starts at 0x80000000)",
          i, ph.p_paddr, ph.p_memsz));
    }
    RETURN_IF_ERROR(memory->Write(GuestAddress(ph.p_paddr),
                                  image.subspan(ph.p_offset, ph.p_filesz)));
    const std::vector<uint8_t> zeros(ph.p_memsz - ph.p_filesz, 0);
    RETURN_IF_ERROR(memory->Write(GuestAddress(ph.p_paddr + ph.p_filesz), zeros));
    ++loaded;
  }
  if (loaded == 0) return absl::InvalidArgumentError("payload: no loadable segment");
  return eh.e_entry;
}

}  // namespace vmm::riscv_boot
