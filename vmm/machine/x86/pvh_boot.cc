#include "vmm/machine/x86/pvh_boot.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "vmm/base/status_macros.h"
#include "vmm/machine/x86/boot_gdt.h"
#include "vmm/machine/x86/boot_write.h"
#include "vmm/machine/x86/linux_boot.h"
#include "vmm/machine/x86/x86_layout.h"

namespace vmm {
namespace {

namespace xl = x86_layout;

constexpr uint32_t kXenElfnotePhys32Entry = 18;  // xen/include/public/elfnote.h

// start_info.h, version 1.
struct HvmStartInfo {
  uint32_t magic;
  uint32_t version;
  uint32_t flags;
  uint32_t nr_modules;
  uint64_t modlist_paddr;
  uint64_t cmdline_paddr;
  uint64_t rsdp_paddr;
  uint64_t memmap_paddr;
  uint32_t memmap_entries;
  uint32_t reserved;
};
static_assert(sizeof(HvmStartInfo) == 56, "hvm_start_info layout");
struct HvmModlistEntry {
  uint64_t paddr;
  uint64_t size;
  uint64_t cmdline_paddr;
  uint64_t reserved;
};
struct HvmMemmapEntry {
  uint64_t addr;
  uint64_t size;
  uint32_t type;
  uint32_t reserved;
};
static_assert(sizeof(HvmMemmapEntry) == 24, "hvm_memmap_table_entry layout");

template <typename T>
T Get(absl::Span<const uint8_t> b, uint64_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof(T));
  return v;
}

// [off, off + len) inside a file of `size` bytes, without overflow.
bool InFile(uint64_t off, uint64_t len, uint64_t size) { return off <= size && len <= size - off; }

// The Xen PHYS32_ENTRY note in [off, off + len), if any.
absl::StatusOr<bool> FindEntryNote(absl::Span<const uint8_t> image, uint64_t off, uint64_t len,
                                   uint32_t* entry) {
  const uint64_t end = off + len;
  while (end - off >= sizeof(Elf64_Nhdr)) {
    Elf64_Nhdr n = Get<Elf64_Nhdr>(image, off);
    const uint64_t name_off = off + sizeof(Elf64_Nhdr);
    const uint64_t name_len = (uint64_t{n.n_namesz} + 3) / 4 * 4;
    const uint64_t desc_off = name_off + name_len;
    const uint64_t desc_len = (uint64_t{n.n_descsz} + 3) / 4 * 4;
    if (name_len > end - name_off || desc_len > end - desc_off) {
      return absl::InvalidArgumentError("ELF note runs past its segment");
    }
    if (n.n_type == kXenElfnotePhys32Entry && n.n_namesz == 4 &&
        std::memcmp(image.data() + name_off, "Xen", 4) == 0) {
      if (n.n_descsz == 4) {
        *entry = Get<uint32_t>(image, desc_off);
      } else if (n.n_descsz == 8) {
        const uint64_t e = Get<uint64_t>(image, desc_off);
        if (e >> 32) {
          return absl::InvalidArgumentError(
              absl::StrFormat("PVH entry 0x%x is above 4 GiB; it must be a 32-bit address", e));
        }
        *entry = static_cast<uint32_t>(e);
      } else {
        return absl::InvalidArgumentError(
            absl::StrFormat("PVH entry note has %d bytes of data, want 4 or 8", n.n_descsz));
      }
      return true;
    }
    off = desc_off + desc_len;
  }
  return false;
}

}  // namespace

bool IsElfImage(absl::Span<const uint8_t> image) {
  return image.size() >= SELFMAG && std::memcmp(image.data(), ELFMAG, SELFMAG) == 0;
}

absl::StatusOr<PvhImageInfo> ParsePvhElf(absl::Span<const uint8_t> image) {
  if (image.size() < sizeof(Elf64_Ehdr)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("ELF image truncated: %d bytes, the ELF header alone is %d", image.size(),
                        sizeof(Elf64_Ehdr)));
  }
  const Elf64_Ehdr eh = Get<Elf64_Ehdr>(image, 0);
  if (!IsElfImage(image) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64) {
    return absl::InvalidArgumentError(
        "not an ELF64 little-endian x86-64 image; use an x86_64 vmlinux or a bzImage");
  }
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
      !InFile(eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr), image.size())) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ELF program headers (offset %d, %d x %d bytes) are missing or past the end of the "
        "%d-byte file (truncated?)",
        eh.e_phoff, eh.e_phnum, eh.e_phentsize, image.size()));
  }
  PvhImageInfo info;
  bool have_entry = false;
  for (uint32_t i = 0; i < eh.e_phnum; ++i) {
    const Elf64_Phdr ph = Get<Elf64_Phdr>(image, eh.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr));
    if (ph.p_type == PT_LOAD) {
      if (!InFile(ph.p_offset, ph.p_filesz, image.size())) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "ELF segment %d (offset %d, %d bytes) runs past the end of the %d-byte file "
            "(truncated?)",
            i, ph.p_offset, ph.p_filesz, image.size()));
      }
      if (ph.p_filesz > ph.p_memsz || ph.p_paddr < xl::kHighMemoryStart ||
          ph.p_memsz > xl::kPciHoleStart || ph.p_paddr > xl::kPciHoleStart - ph.p_memsz) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "ELF segment %d: physical [0x%x, +0x%x) (file 0x%x bytes) must lie in [1 MiB, 3 GiB)",
            i, ph.p_paddr, ph.p_memsz, ph.p_filesz));
      }
      if (ph.p_memsz == 0) continue;
      info.segments.push_back({ph.p_offset, ph.p_filesz, ph.p_paddr, ph.p_memsz});
      info.kernel_end = std::max(info.kernel_end, ph.p_paddr + ph.p_memsz);
    } else if (ph.p_type == PT_NOTE && !have_entry) {
      if (!InFile(ph.p_offset, ph.p_filesz, image.size())) {
        return absl::InvalidArgumentError(
            absl::StrFormat("ELF note segment %d runs past the end of the file (truncated?)", i));
      }
      ASSIGN_OR_RETURN(have_entry, FindEntryNote(image, ph.p_offset, ph.p_filesz, &info.entry));
    }
  }
  if (!have_entry) {
    return absl::InvalidArgumentError(
        "ELF image has no XEN_ELFNOTE_PHYS32_ENTRY note: not a PVH kernel (Linux needs "
        "CONFIG_PVH=y); boot its bzImage instead");
  }
  if (info.segments.empty()) return absl::InvalidArgumentError("ELF image has no PT_LOAD segment");
  bool entry_loaded = false;
  for (const auto& s : info.segments) {
    entry_loaded |= info.entry >= s.paddr && info.entry - s.paddr < s.file_bytes;
  }
  if (!entry_loaded) {
    return absl::InvalidArgumentError(
        absl::StrFormat("PVH entry 0x%x is not inside any loaded ELF segment", info.entry));
  }
  return info;
}

absl::StatusOr<PvhBootPlan> PlanPvhBoot(const PvhImageInfo& info, uint64_t memory_bytes,
                                        uint64_t initrd_bytes, size_t cmdline_length) {
  if (cmdline_length > kPvhMaxCmdline) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "command line is %d bytes; a PVH kernel accepts at most %d", cmdline_length,
        kPvhMaxCmdline));
  }
  const uint64_t low_end = std::min(memory_bytes, xl::kPciHoleStart);
  if (info.kernel_end > low_end) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the kernel's segments end at 0x%x, beyond RAM (memory_bytes=%d); raise memory_bytes",
        info.kernel_end, memory_bytes));
  }
  PvhBootPlan plan;
  plan.initrd_bytes = initrd_bytes;
  if (initrd_bytes > 0) {
    // As high as possible below the PCI hole, page aligned, above the kernel.
    const uint64_t kernel_top = (info.kernel_end + 4095) / 4096 * 4096;
    if (initrd_bytes > low_end || (low_end - initrd_bytes) / 4096 * 4096 < kernel_top) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "initrd of %d bytes does not fit in guest RAM between the kernel (ends at 0x%x) and "
          "0x%x; it is larger than guest RAM left; raise memory_bytes (now %d)",
          initrd_bytes, kernel_top, low_end, memory_bytes));
    }
    plan.initrd_address = (low_end - initrd_bytes) / 4096 * 4096;
  }
  return plan;
}

absl::StatusOr<PvhEntry> LoadPvh(GuestMemory* memory, uint64_t memory_bytes,
                                 const PvhImageInfo& info, const PvhBootPlan& plan,
                                 absl::Span<const uint8_t> image, absl::Span<const uint8_t> initrd,
                                 absl::string_view cmdline, uint64_t rsdp) {
  static const uint8_t kZeros[4096] = {};
  for (const auto& s : info.segments) {
    RETURN_IF_ERROR(
        WriteBootBytes(memory, s.paddr, image.subspan(s.file_offset, s.file_bytes), "kernel"));
    // .bss and friends: memsz beyond filesz is zero.
    for (uint64_t off = s.file_bytes; off < s.mem_bytes;) {
      const uint64_t n = std::min<uint64_t>(sizeof(kZeros), s.mem_bytes - off);
      RETURN_IF_ERROR(
          WriteBootBytes(memory, s.paddr + off, absl::MakeConstSpan(kZeros, n), "kernel bss"));
      off += n;
    }
  }
  if (!initrd.empty())
    RETURN_IF_ERROR(WriteBootBytes(memory, plan.initrd_address, initrd, "initrd"));
  std::string cmd(cmdline);
  cmd.push_back('\0');
  RETURN_IF_ERROR(WriteBootBytes(
      memory, xl::kCmdlineAddress,
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(cmd.data()), cmd.size()), "cmdline"));

  // The same map the bzImage path puts in e820.
  std::vector<HvmMemmapEntry> map;
  const uint64_t low_end = std::min(memory_bytes, xl::kPciHoleStart);
  map.push_back({0, xl::kEbdaStart, kE820Ram, 0});
  map.push_back({xl::kEbdaStart, xl::kHighMemoryStart - xl::kEbdaStart, kE820Reserved, 0});
  map.push_back({xl::kHighMemoryStart, low_end - xl::kHighMemoryStart, kE820Ram, 0});
  if (memory_bytes > xl::kPciHoleStart) {
    map.push_back({xl::k4GiB, memory_bytes - xl::kPciHoleStart, kE820Ram, 0});
  }
  RETURN_IF_ERROR(WriteBootBytes(memory, kPvhMemmapAddress,
                                 absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(map.data()),
                                                     map.size() * sizeof(HvmMemmapEntry)),
                                 "memory map"));
  HvmStartInfo si{};
  si.magic = kPvhStartInfoMagic;
  si.version = 1;
  si.cmdline_paddr = xl::kCmdlineAddress;
  si.rsdp_paddr = rsdp;
  si.memmap_paddr = kPvhMemmapAddress;
  si.memmap_entries = static_cast<uint32_t>(map.size());
  if (!initrd.empty()) {
    HvmModlistEntry mod{plan.initrd_address, plan.initrd_bytes, 0, 0};
    RETURN_IF_ERROR(memory->WriteObj(GuestAddress(kPvhModlistAddress), mod));
    si.nr_modules = 1;
    si.modlist_paddr = kPvhModlistAddress;
  }
  RETURN_IF_ERROR(memory->WriteObj(GuestAddress(kPvhStartInfoAddress), si));
  RETURN_IF_ERROR(WriteBootGdt(memory));
  return PvhEntry{info.entry, static_cast<uint32_t>(kPvhStartInfoAddress)};
}

}  // namespace vmm
