#include "vmm/machine/x86/pvh_boot.h"

#include <elf.h>
#include <glob.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "vmm/machine/x86/linux_boot.h"
#include "vmm/machine/x86/x86_layout.h"

namespace vmm {
namespace {

namespace xl = x86_layout;

// A synthetic PVH vmlinux: ELF header, 2 program headers (PT_LOAD of
// `code_bytes` at 16 MiB with `bss` more bytes in memory, PT_NOTE with the
// Xen PHYS32_ENTRY note whose 8-byte descriptor is `entry`).
struct ElfSpec {
  uint64_t paddr = 0x1000000;
  uint64_t code_bytes = 8192;
  uint64_t bss = 4096;
  uint64_t entry = 0x1000100;
  uint32_t note_type = 18;
  uint32_t desc_bytes = 8;
};
std::vector<uint8_t> MakeElf(const ElfSpec& s = {}) {
  const size_t ph_off = sizeof(Elf64_Ehdr);
  const size_t note_off = ph_off + 2 * sizeof(Elf64_Phdr);
  const size_t note_len = sizeof(Elf64_Nhdr) + 4 + ((s.desc_bytes + 3) / 4 * 4);
  const size_t code_off = 0x1000;
  std::vector<uint8_t> img(code_off + s.code_bytes, 0);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_X86_64;
  eh.e_phoff = ph_off;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 2;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  std::memcpy(&img[0], &eh, sizeof(eh));
  Elf64_Phdr load{};
  load.p_type = PT_LOAD;
  load.p_offset = code_off;
  load.p_paddr = s.paddr;
  load.p_vaddr = 0xffffffff80000000ull + s.paddr;
  load.p_filesz = s.code_bytes;
  load.p_memsz = s.code_bytes + s.bss;
  Elf64_Phdr note{};
  note.p_type = PT_NOTE;
  note.p_offset = note_off;
  note.p_filesz = note_len;
  std::memcpy(&img[ph_off], &load, sizeof(load));
  std::memcpy(&img[ph_off + sizeof(load)], &note, sizeof(note));
  Elf64_Nhdr nh{4, s.desc_bytes, s.note_type};
  std::memcpy(&img[note_off], &nh, sizeof(nh));
  std::memcpy(&img[note_off + sizeof(nh)], "Xen", 4);
  std::memcpy(&img[note_off + sizeof(nh) + 4], &s.entry, std::min<uint32_t>(s.desc_bytes, 8));
  for (uint64_t i = 0; i < s.code_bytes; ++i) img[code_off + i] = static_cast<uint8_t>(i * 13 + 1);
  return img;
}

absl::Span<const uint8_t> S(const std::vector<uint8_t>& v) { return absl::MakeConstSpan(v); }

void ExpectRejected(const std::vector<uint8_t>& img, const std::string& needle) {
  auto info = ParsePvhElf(S(img));
  ASSERT_FALSE(info.ok()) << "accepted; wanted an error containing " << needle;
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(info.status().message().find(needle), std::string::npos) << info.status();
}

TEST(PvhElfTest, ParsesEntryAndSegments) {
  auto img = MakeElf();
  EXPECT_TRUE(IsElfImage(S(img)));
  auto info = ParsePvhElf(S(img));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->entry, 0x1000100u);
  ASSERT_EQ(info->segments.size(), 1u);
  EXPECT_EQ(info->segments[0].paddr, 0x1000000u);
  EXPECT_EQ(info->segments[0].file_bytes, 8192u);
  EXPECT_EQ(info->kernel_end, 0x1000000u + 8192 + 4096);
  // A 4-byte descriptor is accepted too.
  ElfSpec s;
  s.desc_bytes = 4;
  EXPECT_TRUE(ParsePvhElf(S(MakeElf(s))).ok());
}

TEST(PvhElfTest, RejectsBadImages) {
  std::vector<uint8_t> bz(4096, 0);
  EXPECT_FALSE(IsElfImage(S(bz)));
  auto img = MakeElf();
  ExpectRejected(std::vector<uint8_t>(img.begin(), img.begin() + 40), "truncated");
  ExpectRejected(std::vector<uint8_t>(img.begin(), img.begin() + 0x1800), "past the end");
  auto bad_machine = img;
  bad_machine[18] = EM_386;
  ExpectRejected(bad_machine, "x86-64");
  auto bad_phoff = img;
  uint64_t huge = ~0ull - 8;
  std::memcpy(&bad_phoff[offsetof(Elf64_Ehdr, e_phoff)], &huge, 8);
  ExpectRejected(bad_phoff, "program headers");
  ElfSpec s;
  s.note_type = 5;
  ExpectRejected(MakeElf(s), "no XEN_ELFNOTE_PHYS32_ENTRY");
  s = {};
  s.desc_bytes = 2;
  ExpectRejected(MakeElf(s), "want 4 or 8");
  s = {};
  s.entry = 0x100000000ull;
  ExpectRejected(MakeElf(s), "above 4 GiB");
  s = {};
  s.entry = 0x2000000;
  ExpectRejected(MakeElf(s), "not inside any loaded");
  s = {};
  s.paddr = 0x9000;  // Would overwrite start_info and page tables.
  s.entry = 0x9100;
  ExpectRejected(MakeElf(s), "[1 MiB, 3 GiB)");
  s = {};
  s.paddr = 0xbffff000;  // Crosses into the PCI hole.
  s.entry = s.paddr;
  ExpectRejected(MakeElf(s), "[1 MiB, 3 GiB)");
}

TEST(PvhBootTest, PlanChecksSizes) {
  auto info = ParsePvhElf(S(MakeElf()));
  ASSERT_TRUE(info.ok());
  auto plan = PlanPvhBoot(*info, 64 << 20, 1 << 20, 100);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->initrd_address, (64u << 20) - (1u << 20));
  auto big = PlanPvhBoot(*info, 64 << 20, 60 << 20, 100);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("does not fit"), std::string::npos) << big.status();
  auto longcmd = PlanPvhBoot(*info, 64 << 20, 0, 3000);
  ASSERT_FALSE(longcmd.ok());
  EXPECT_NE(longcmd.status().message().find("command line is 3000 bytes"), std::string::npos);
  auto small = PlanPvhBoot(*info, 16 << 20, 0, 10);  // Kernel at 16 MiB does not fit.
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.status().message().find("raise memory_bytes"), std::string::npos);
}

TEST(PvhBootTest, LoadWritesSegmentsStartInfoAndMap) {
  const uint64_t mem_bytes = 64 << 20;
  auto mem = GuestMemory::Create({{GuestAddress(0), mem_bytes}});
  ASSERT_TRUE(mem.ok());
  // Dirty the .bss range to see it zeroed.
  std::vector<uint8_t> junk(4096, 0xee);
  ASSERT_TRUE((*mem)->Write(GuestAddress(0x1000000 + 8192), S(junk)).ok());
  auto img = MakeElf();
  auto info = ParsePvhElf(S(img));
  ASSERT_TRUE(info.ok());
  std::vector<uint8_t> initrd(5000, 0x5a);
  const std::string cmdline = "console=ttyS0 quiet";
  auto plan = PlanPvhBoot(*info, mem_bytes, initrd.size(), cmdline.size());
  ASSERT_TRUE(plan.ok());
  auto entry = LoadPvh(mem->get(), mem_bytes, *info, *plan, S(img), S(initrd), cmdline, 0xe0000);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->eip, 0x1000100u);
  EXPECT_EQ(entry->ebx, kPvhStartInfoAddress);

  std::vector<uint8_t> code(8192 + 4096);
  ASSERT_TRUE((*mem)->Read(GuestAddress(0x1000000), absl::MakeSpan(code)).ok());
  EXPECT_TRUE(std::equal(code.begin(), code.begin() + 8192, img.begin() + 0x1000));
  EXPECT_TRUE(std::all_of(code.begin() + 8192, code.end(), [](uint8_t b) { return b == 0; }));

  auto r32 = [&](uint64_t a) { return (*mem)->ReadObj<uint32_t>(GuestAddress(a)).value_or(0xdead); };
  auto r64 = [&](uint64_t a) { return (*mem)->ReadObj<uint64_t>(GuestAddress(a)).value_or(0xdead); };
  const uint64_t si = kPvhStartInfoAddress;
  EXPECT_EQ(r32(si), kPvhStartInfoMagic);
  EXPECT_EQ(r32(si + 4), 1u);                   // version
  EXPECT_EQ(r32(si + 12), 1u);                  // nr_modules
  const uint64_t mod = r64(si + 16);
  EXPECT_EQ(r64(mod), plan->initrd_address);    // module 0 = initrd
  EXPECT_EQ(r64(mod + 8), initrd.size());
  const uint64_t cmd = r64(si + 24);
  std::vector<uint8_t> c(cmdline.size() + 1);
  ASSERT_TRUE((*mem)->Read(GuestAddress(cmd), absl::MakeSpan(c)).ok());
  EXPECT_EQ(std::string(c.begin(), c.end() - 1), cmdline);
  EXPECT_EQ(c.back(), 0);
  EXPECT_EQ(r64(si + 32), 0xe0000u);            // rsdp
  const uint64_t map = r64(si + 40);
  ASSERT_EQ(r32(si + 48), 3u);                  // RAM, reserved, RAM
  EXPECT_EQ(r64(map), 0u);
  EXPECT_EQ(r32(map + 16), kE820Ram);
  EXPECT_EQ(r64(map + 24), xl::kEbdaStart);
  EXPECT_EQ(r32(map + 24 + 16), kE820Reserved);
  EXPECT_EQ(r64(map + 48), xl::kHighMemoryStart);
  EXPECT_EQ(r64(map + 48 + 8), mem_bytes - xl::kHighMemoryStart);
  std::vector<uint8_t> rd(initrd.size());
  ASSERT_TRUE((*mem)->Read(GuestAddress(plan->initrd_address), absl::MakeSpan(rd)).ok());
  EXPECT_EQ(rd, initrd);
}

// The real thing when the lab has unpacked one (tools/kvmlab vmlinux).
TEST(PvhElfTest, DebianVmlinuxParsesWhenCached) {
  glob_t g{};
  if (glob("/var/tmp/kvmlab/vmlinux-*", 0, nullptr, &g) != 0 || g.gl_pathc == 0) {
    globfree(&g);
    GTEST_SKIP() << "no cached vmlinux (tools/kvmlab/kvmlab vmlinux)";
  }
  std::ifstream f(g.gl_pathv[0], std::ios::binary);
  globfree(&g);
  std::vector<uint8_t> img((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto info = ParsePvhElf(S(img));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_GE(info->entry, 0x1000000u);
  EXPECT_GE(info->segments.size(), 2u);
  EXPECT_TRUE(PlanPvhBoot(*info, 256 << 20, 2 << 20, 40).ok());
}

}  // namespace
}  // namespace vmm
