#include "vmm/machine/riscv/riscv_boot.h"

#include <elf.h>

#include <cstring>

#include "gtest/gtest.h"

namespace vmm::riscv_boot {
namespace {

constexpr uint64_t kBase = 0x80000000;

TEST(PlanKernelBootTest, FirmwareKernelInitrdFdtDoNotOverlap) {
  absl::StatusOr<Placement> p =
      PlanKernelBoot(kBase, 128 << 20, 200 << 10, 6 << 20, 3 << 20, 4096);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->firmware, kBase);
  EXPECT_EQ(p->kernel, kBase + 0x200000);
  EXPECT_EQ(p->fdt % (2 << 20), 0u);
  EXPECT_LE(p->fdt + 4096, kBase + (128 << 20));
  EXPECT_EQ(p->initrd_end - p->initrd, uint64_t{3} << 20);
  EXPECT_LE(p->initrd_end, p->fdt);
  EXPECT_LE(p->fw_info + sizeof(FwDynamicInfo), p->initrd);
  EXPECT_GE(p->fw_info, p->kernel + 2 * (6 << 20));
}

TEST(PlanKernelBootTest, TooSmallSaysHowMuchIsNeeded) {
  absl::StatusOr<Placement> p = PlanKernelBoot(kBase, 16 << 20, 100, 10 << 20, 0, 4096);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("need about"), std::string::npos) << p.status();
  p = PlanKernelBoot(kBase, 64 << 20, 3 << 20, 1 << 20, 0, 4096);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("firmware"), std::string::npos) << p.status();
}

std::vector<uint8_t> TinyElf(uint64_t paddr, uint64_t filesz, uint64_t memsz) {
  std::vector<uint8_t> f(sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + filesz, 0xab);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_machine = EM_RISCV;
  eh.e_entry = paddr;
  eh.e_phoff = sizeof(eh);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 1;
  Elf64_Phdr ph{};
  ph.p_type = PT_LOAD;
  ph.p_offset = sizeof(eh) + sizeof(ph);
  ph.p_paddr = paddr;
  ph.p_filesz = filesz;
  ph.p_memsz = memsz;
  std::memcpy(f.data(), &eh, sizeof(eh));
  std::memcpy(f.data() + sizeof(eh), &ph, sizeof(ph));
  return f;
}

TEST(LoadElfTest, LoadsSegmentsAndZeroesBss) {
  auto mem = GuestMemory::Create({{GuestAddress(kBase), 1 << 20}});
  ASSERT_TRUE(mem.ok());
  std::vector<uint8_t> ones(64, 0xff);
  ASSERT_TRUE((*mem)->Write(GuestAddress(kBase + 0x1000), ones).ok());
  absl::StatusOr<uint64_t> entry = LoadElf(TinyElf(kBase + 0x1000, 16, 32), mem->get());
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(*entry, kBase + 0x1000);
  EXPECT_EQ(*(*mem)->ReadObj<uint8_t>(GuestAddress(kBase + 0x100f)), 0xab);
  EXPECT_EQ(*(*mem)->ReadObj<uint8_t>(GuestAddress(kBase + 0x1010)), 0);
  EXPECT_EQ(*(*mem)->ReadObj<uint8_t>(GuestAddress(kBase + 0x1020)), 0xff);
}

TEST(LoadElfTest, HostileImagesAreErrors) {
  auto mem = GuestMemory::Create({{GuestAddress(kBase), 1 << 20}});
  ASSERT_TRUE(mem.ok());
  EXPECT_FALSE(LoadElf(TinyElf(0x1000, 16, 16), mem->get()).ok()) << "outside RAM";
  EXPECT_FALSE(LoadElf(TinyElf(kBase + (1 << 20) - 8, 16, 16), mem->get()).ok()) << "past RAM";
  EXPECT_FALSE(LoadElf(TinyElf(kBase, 16, ~uint64_t{0}), mem->get()).ok()) << "huge memsz";
  std::vector<uint8_t> truncated = TinyElf(kBase, 16, 16);
  truncated.resize(truncated.size() - 8);
  EXPECT_FALSE(LoadElf(truncated, mem->get()).ok()) << "segment past the file";
  std::vector<uint8_t> x86 = TinyElf(kBase, 16, 16);
  x86[18] = EM_X86_64;
  EXPECT_FALSE(LoadElf(x86, mem->get()).ok());
}

}  // namespace
}  // namespace vmm::riscv_boot
