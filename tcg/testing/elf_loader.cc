#include "tcg/testing/elf_loader.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_format.h"

namespace tcg::testing {
namespace {

// Largest segment we accept: guards the zero-fill buffer.
constexpr uint64_t kMaxSegment = uint64_t{1} << 30;

}  // namespace

absl::StatusOr<LoadedElf> LoadElf(absl::Span<const uint8_t> image, uint16_t machine,
                                  FlatMemory& mem) {
  Elf64_Ehdr eh;
  if (image.size() < sizeof(eh)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("elf size=%d: smaller than the %d-byte header", image.size(), sizeof(eh)));
  }
  std::memcpy(&eh, image.data(), sizeof(eh));
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    return absl::InvalidArgumentError("elf: bad magic");
  }
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
    return absl::InvalidArgumentError("elf: not little-endian ELF64");
  }
  if (eh.e_type != ET_EXEC || eh.e_machine != machine) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "elf type=%d machine=%d: want ET_EXEC for machine %d", eh.e_type, eh.e_machine, machine));
  }
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phoff > image.size() ||
      uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr) > image.size() - eh.e_phoff) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "elf phoff=%d phnum=%d phentsize=%d: program headers outside the %d-byte file",
        eh.e_phoff, eh.e_phnum, eh.e_phentsize, image.size()));
  }
  LoadedElf out;
  out.entry = eh.e_entry;
  out.lowest = ~uint64_t{0};
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, image.data() + eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof(ph));
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    if (ph.p_filesz > ph.p_memsz || ph.p_memsz > kMaxSegment) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "elf segment %d: filesz=%d memsz=%d (need filesz <= memsz <= %d)", i, ph.p_filesz,
          ph.p_memsz, kMaxSegment));
    }
    if (ph.p_offset > image.size() || ph.p_filesz > image.size() - ph.p_offset) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "elf segment %d: [offset %d, +%d) outside the %d-byte file", i, ph.p_offset,
          ph.p_filesz, image.size()));
    }
    absl::Status s = mem.Write(ph.p_paddr, image.data() + ph.p_offset, ph.p_filesz);
    if (!s.ok()) return s;
    std::vector<uint8_t> zeros(ph.p_memsz - ph.p_filesz, 0);
    s = mem.Write(ph.p_paddr + ph.p_filesz, zeros.data(), zeros.size());
    if (!s.ok()) return s;
    out.lowest = std::min<uint64_t>(out.lowest, ph.p_paddr);
    out.highest = std::max<uint64_t>(out.highest, ph.p_paddr + ph.p_memsz);
  }
  if (out.lowest == ~uint64_t{0}) return absl::InvalidArgumentError("elf: no PT_LOAD segment");
  return out;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrFormat("open %s failed", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace tcg::testing
