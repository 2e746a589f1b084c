#include "tcg/testing/elf_loader.h"

#include <elf.h>

#include <cstring>
#include <vector>

#include "gtest/gtest.h"

namespace tcg::testing {
namespace {

constexpr uint64_t kRam = 0x80000000;

// A one-segment ELF: 8 bytes of code at 0x80001000, memsz 16 (8 of bss).
std::vector<uint8_t> MakeElf() {
  std::vector<uint8_t> out(sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 8, 0);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_RISCV;
  eh.e_entry = kRam + 0x1000;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 1;
  Elf64_Phdr ph{};
  ph.p_type = PT_LOAD;
  ph.p_offset = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
  ph.p_paddr = kRam + 0x1000;
  ph.p_filesz = 8;
  ph.p_memsz = 16;
  std::memcpy(out.data(), &eh, sizeof(eh));
  std::memcpy(out.data() + sizeof(eh), &ph, sizeof(ph));
  for (int i = 0; i < 8; ++i) out[ph.p_offset + i] = 0x11 * (i + 1);
  return out;
}

Elf64_Phdr* Phdr(std::vector<uint8_t>& elf) {
  return reinterpret_cast<Elf64_Phdr*>(elf.data() + sizeof(Elf64_Ehdr));
}

TEST(ElfLoaderTest, LoadsSegmentsAndZeroesBss) {
  FlatMemory mem(kRam, 1 << 16);
  uint8_t junk[16];
  std::memset(junk, 0xee, sizeof(junk));
  ASSERT_TRUE(mem.Write(kRam + 0x1000, junk, sizeof(junk)).ok());
  std::vector<uint8_t> elf = MakeElf();
  absl::StatusOr<LoadedElf> r = LoadElf(elf, EM_RISCV, mem);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->entry, kRam + 0x1000);
  EXPECT_EQ(r->highest, kRam + 0x1010);
  uint8_t got[16];
  ASSERT_TRUE(mem.Read(kRam + 0x1000, got, sizeof(got)).ok());
  EXPECT_EQ(got[0], 0x11);
  EXPECT_EQ(got[7], 0x88);
  EXPECT_EQ(got[8], 0);
  EXPECT_EQ(got[15], 0);
}

TEST(ElfLoaderTest, RejectsMalformedImages) {
  FlatMemory mem(kRam, 1 << 16);
  std::vector<uint8_t> elf = MakeElf();
  EXPECT_FALSE(LoadElf(absl::MakeConstSpan(elf.data(), 10), EM_RISCV, mem).ok());
  EXPECT_FALSE(LoadElf(elf, EM_X86_64, mem).ok());

  std::vector<uint8_t> bad = elf;
  bad[0] = 0;
  EXPECT_FALSE(LoadElf(bad, EM_RISCV, mem).ok());

  bad = elf;
  Phdr(bad)->p_offset = ~uint64_t{0} - 2;  // offset + size overflows
  EXPECT_FALSE(LoadElf(bad, EM_RISCV, mem).ok());

  bad = elf;
  Phdr(bad)->p_filesz = 32;  // > memsz
  EXPECT_FALSE(LoadElf(bad, EM_RISCV, mem).ok());

  bad = elf;
  Phdr(bad)->p_paddr = ~uint64_t{0} - 4;  // wraps around
  EXPECT_FALSE(LoadElf(bad, EM_RISCV, mem).ok());

  bad = elf;
  Phdr(bad)->p_paddr = 0x1000;  // outside RAM
  EXPECT_FALSE(LoadElf(bad, EM_RISCV, mem).ok());

  bad = elf;
  reinterpret_cast<Elf64_Ehdr*>(bad.data())->e_phnum = 1000;
  EXPECT_FALSE(LoadElf(bad, EM_RISCV, mem).ok());
}

}  // namespace
}  // namespace tcg::testing
