#include "vmm/machine/x86/linux_boot.h"

#include <asm/bootparam.h>
#include <glob.h>

#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "vmm/machine/x86/boot_gdt.h"
#include "vmm/machine/x86/long_mode_boot.h"
#include "vmm/machine/x86/synthetic_bzimage.h"
#include "vmm/machine/x86/x86_layout.h"

namespace vmm {
namespace {

namespace xl = x86_layout;

// A synthetic bzImage as Debian 12's kernel has its header (all xloadflags
// bits, init_size 4x the kernel) with `kernel_bytes` of patterned kernel.
std::vector<uint8_t> MakeImage(uint64_t kernel_bytes = 64 * 1024) {
  std::vector<uint8_t> img =
      SyntheticBzImage(kernel_bytes, static_cast<uint32_t>(kernel_bytes * 4), 0x7f);
  for (uint64_t i = 0; i < kernel_bytes; ++i) {
    img[kSyntheticKernelOffset + i] = static_cast<uint8_t>(i * 7);
  }
  return img;
}

absl::Span<const uint8_t> S(const std::vector<uint8_t>& v) { return absl::MakeConstSpan(v); }

TEST(ParseBzImageTest, AcceptsWellFormedImage) {
  auto img = MakeImage();
  auto info = ParseBzImage(S(img));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->version, 0x020f);
  EXPECT_EQ(info->setup_bytes, 5u * 512);
  EXPECT_EQ(info->kernel_bytes, 64u * 1024);
  EXPECT_EQ(info->pref_address, 0x1000000u);
  EXPECT_EQ(info->cmdline_size, 2047u);
  EXPECT_TRUE(info->relocatable);
}

void ExpectRejected(const std::vector<uint8_t>& img, const std::string& needle) {
  auto info = ParseBzImage(S(img));
  ASSERT_FALSE(info.ok()) << "accepted; wanted an error containing " << needle;
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(info.status().message().find(needle), std::string::npos) << info.status();
}

TEST(ParseBzImageTest, RejectsMalformedImages) {
  auto img = MakeImage();
  ExpectRejected(std::vector<uint8_t>(img.begin(), img.begin() + 100), "truncated");
  ExpectRejected(std::vector<uint8_t>(img.begin(), img.begin() + 0x220), "truncated");
  ExpectRejected(std::vector<uint8_t>(img.begin(), img.begin() + 5 * 512), "truncated");
  // Cut inside the kernel: syssize says more than the file has.
  ExpectRejected(std::vector<uint8_t>(img.begin(), img.end() - 4096), "syssize");
  ExpectRejected({}, "truncated");

  auto bad_magic = img;
  std::memcpy(&bad_magic[0x202], "HdrZ", 4);
  ExpectRejected(bad_magic, "HdrS");
  auto elf = img;
  std::memcpy(&elf[0], "\x7f" "ELF", 4);
  std::memset(&elf[0x202], 0, 4);
  ExpectRejected(elf, "not a Linux bzImage");
  auto no_boot_flag = img;
  no_boot_flag[0x1fe] = 0;
  ExpectRejected(no_boot_flag, "boot_flag");

  auto old = img;
  old[0x206] = 0x06;  // 2.06
  ExpectRejected(old, "2.06 is too old");
  auto not64 = img;
  not64[0x236] &= ~1;
  ExpectRejected(not64, "XLF_KERNEL_64");
  auto zimage = img;
  zimage[0x211] = 0;
  ExpectRejected(zimage, "LOADED_HIGH");
  auto small_init = img;
  std::memset(&small_init[0x260], 0, 4);
  ExpectRejected(small_init, "init_size");
}

TEST(PlanLinuxBootTest, PlacesKernelAtPreferredAddressAndInitrdHigh) {
  auto info = ParseBzImage(S(MakeImage()));
  ASSERT_TRUE(info.ok());
  auto plan = PlanLinuxBoot(*info, 256 << 20, 1 << 20, 100);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->kernel_address, 0x1000000u);
  EXPECT_EQ(plan->initrd_address, (256u << 20) - (1u << 20));
  EXPECT_EQ(plan->initrd_address % 4096, 0u);

  // More than 3 GiB: the initrd stays below the PCI hole.
  auto big = PlanLinuxBoot(*info, 8ull << 30, 12345, 0);
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_LT(big->initrd_address + 12345, xl::kPciHoleStart + 1);
  EXPECT_EQ(big->initrd_address % 4096, 0u);
}

TEST(PlanLinuxBootTest, RelocatableKernelMovesDownInSmallMemory) {
  auto img = MakeImage(4 << 20);  // init_size 16 MiB: 16 + 16 > 24 MiB of RAM.
  auto info = ParseBzImage(S(img));
  ASSERT_TRUE(info.ok());
  auto plan = PlanLinuxBoot(*info, 24 << 20, 0, 0);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->kernel_address, 0x200000u);  // 1 MiB aligned up to kernel_alignment.
  auto too_small = PlanLinuxBoot(*info, 16 << 20, 0, 0);
  ASSERT_FALSE(too_small.ok());
  EXPECT_NE(too_small.status().message().find("too small"), std::string::npos);
}

TEST(PlanLinuxBootTest, RejectsTooLongCmdlineAndOversizedInitrd) {
  auto info = ParseBzImage(S(MakeImage()));
  ASSERT_TRUE(info.ok());
  auto long_cmd = PlanLinuxBoot(*info, 256 << 20, 0, 2048);
  ASSERT_FALSE(long_cmd.ok());
  EXPECT_NE(long_cmd.status().message().find("at most 2047"), std::string::npos)
      << long_cmd.status();
  EXPECT_TRUE(PlanLinuxBoot(*info, 256 << 20, 0, 2047).ok());
  auto huge = PlanLinuxBoot(*info, 256 << 20, 300 << 20, 0);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("initrd"), std::string::npos) << huge.status();
  // Fits in RAM but would overlap the kernel's init_size area.
  auto overlap = PlanLinuxBoot(*info, 32 << 20, 16 << 20, 0);
  EXPECT_FALSE(overlap.ok());
}

TEST(LoadLinuxTest, WritesKernelBootParamsAndBootGdt) {
  auto img = MakeImage();
  auto info = ParseBzImage(S(img));
  ASSERT_TRUE(info.ok());
  const uint64_t mem_bytes = 64 << 20;
  auto mem = GuestMemory::Create({{GuestAddress(0), mem_bytes}});
  ASSERT_TRUE(mem.ok()) << mem.status();
  std::vector<uint8_t> initrd(10000, 0xab);
  auto plan = PlanLinuxBoot(*info, mem_bytes, initrd.size(), 11);
  ASSERT_TRUE(plan.ok());
  auto entry = LoadLinux(mem->get(), mem_bytes, *info, *plan, S(img), S(initrd),
                         "console=foo", 0xe0000);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->mode, LinuxEntryMode::k32Bit) << "the default";
  EXPECT_EQ(entry->rip, plan->kernel_address) << "startup_32, the load address";
  EXPECT_EQ(entry->rsi, xl::kZeroPageAddress);

  std::vector<uint8_t> kernel(info->kernel_bytes);
  ASSERT_TRUE((*mem)->Read(GuestAddress(plan->kernel_address), absl::MakeSpan(kernel)).ok());
  EXPECT_TRUE(std::equal(kernel.begin(), kernel.end(), img.begin() + info->setup_bytes));
  auto bp = (*mem)->ReadObj<boot_params>(GuestAddress(xl::kZeroPageAddress));
  ASSERT_TRUE(bp.ok());
  EXPECT_EQ(bp->hdr.type_of_loader, 0xff);
  EXPECT_EQ(bp->hdr.header, 0x53726448u);
  EXPECT_EQ(bp->hdr.cmd_line_ptr, xl::kCmdlineAddress);
  EXPECT_EQ(bp->hdr.ramdisk_image, plan->initrd_address);
  EXPECT_EQ(bp->hdr.ramdisk_size, 10000u);
  EXPECT_EQ(bp->acpi_rsdp_addr, 0xe0000u);
  ASSERT_EQ(bp->e820_entries, 3);
  EXPECT_EQ(bp->e820_table[0].addr, 0u);
  EXPECT_EQ(bp->e820_table[0].type, kE820Ram);
  EXPECT_EQ(bp->e820_table[1].type, kE820Reserved);
  EXPECT_EQ(bp->e820_table[2].addr + bp->e820_table[2].size, mem_bytes);
  char cmd[12] = {};
  ASSERT_TRUE((*mem)
                  ->Read(GuestAddress(xl::kCmdlineAddress),
                         absl::MakeSpan(reinterpret_cast<uint8_t*>(cmd), sizeof(cmd)))
                  .ok());
  EXPECT_STREQ(cmd, "console=foo");
  // The boot GDT: flat 32-bit code at 0x10 (base 0, 4 GiB, D=1, L=0) and
  // data at 0x18, as the 32-bit boot protocol asks.
  for (size_t i = 0; i < 5; ++i) {
    auto d = (*mem)->ReadObj<uint64_t>(GuestAddress(xl::kGdtAddress + 8 * i));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, kBootGdt[i]) << "GDT entry " << i;
  }
  EXPECT_EQ((kBootGdt[2] >> 53) & 1, 0u) << "__BOOT_CS is not a 64-bit (L=1) segment";
  EXPECT_EQ((kBootGdt[2] >> 54) & 1, 1u) << "__BOOT_CS is 32-bit (D=1)";
}

TEST(LoadLinuxTest, SixtyFourBitEntryWritesIdentityMapAndLongModeGdt) {
  auto img = MakeImage();
  auto info = ParseBzImage(S(img));
  ASSERT_TRUE(info.ok());
  const uint64_t mem_bytes = 64 << 20;
  auto mem = GuestMemory::Create({{GuestAddress(0), mem_bytes}});
  ASSERT_TRUE(mem.ok()) << mem.status();
  std::vector<uint8_t> initrd(10000, 0xab);
  auto plan = PlanLinuxBoot(*info, mem_bytes, initrd.size(), 11);
  ASSERT_TRUE(plan.ok());
  auto entry = LoadLinux(mem->get(), mem_bytes, *info, *plan, S(img), S(initrd), "console=foo",
                         0xe0000, LinuxEntryMode::k64Bit);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->mode, LinuxEntryMode::k64Bit);
  EXPECT_EQ(entry->rip, plan->kernel_address + 0x200) << "startup_64";
  EXPECT_EQ(entry->rsi, xl::kZeroPageAddress);
  auto bp = (*mem)->ReadObj<boot_params>(GuestAddress(xl::kZeroPageAddress));
  ASSERT_TRUE(bp.ok());
  EXPECT_EQ(bp->hdr.header, 0x53726448u);
  EXPECT_EQ(bp->hdr.cmd_line_ptr, xl::kCmdlineAddress);

  // Walk the tables as the MMU does (SDM vol. 3 §4.5) for addresses spread
  // over [0, 4 GiB): each must translate to itself through a present,
  // writable 2 MiB page.
  auto read = [&](uint64_t addr) {
    auto v = (*mem)->ReadObj<uint64_t>(GuestAddress(addr));
    EXPECT_TRUE(v.ok()) << std::hex << addr;
    return v.ok() ? *v : 0;
  };
  const uint64_t cr3 = xl::kPml4Address;
  const uint64_t probes[] = {0,
                             xl::kZeroPageAddress,
                             xl::kCmdlineAddress,
                             plan->kernel_address + 0x200,
                             plan->initrd_address + plan->initrd_bytes - 1,
                             xl::kPciHoleStart - 1,
                             xl::kIoApicAddress,
                             xl::kLapicAddress + 0x30,
                             (4ull << 30) - 1};
  for (uint64_t va : probes) {
    const uint64_t pml4e = read(cr3 + 8 * ((va >> 39) & 511));
    ASSERT_EQ(pml4e & 3, 3u) << "PML4E not present+writable for " << std::hex << va;
    const uint64_t pdpte = read((pml4e & ~0xfffull) + 8 * ((va >> 30) & 511));
    ASSERT_EQ(pdpte & 3, 3u) << "PDPTE for " << std::hex << va;
    ASSERT_EQ(pdpte & 0x80, 0u) << "PDPTE maps a 1 GiB page for " << std::hex << va;
    const uint64_t pde = read((pdpte & ~0xfffull) + 8 * ((va >> 21) & 511));
    ASSERT_EQ(pde & 0x83, 0x83u) << "PDE not a present+writable 2 MiB page for " << std::hex << va;
    const uint64_t pa = (pde & ~((1ull << 21) - 1) & ((1ull << 52) - 1)) | (va & ((1ull << 21) - 1));
    EXPECT_EQ(pa, va) << "not identity-mapped";
  }
  // Nothing above 4 GiB: PML4[0] is the only PML4 entry, PDPT[4] is empty.
  EXPECT_EQ(read(cr3 + 8), 0u);
  EXPECT_EQ(read(xl::kPdptAddress + 8 * 4), 0u);
  // The tables live in RAM the e820 map reports, below the command line
  // and clear of boot_params.
  EXPECT_GE(xl::kPml4Address, xl::kZeroPageAddress + sizeof(boot_params));
  EXPECT_LE(xl::kPdAddress + 4 * 4096, xl::kCmdlineAddress);
  const uint64_t cmd8 = read(xl::kCmdlineAddress);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&cmd8), 8), "console=") << "clobbered";

  // GDT: 64-bit code at __BOOT_CS 0x10 (L=1, D=0, P=1, DPL 0, execute/read),
  // flat data at __BOOT_DS 0x18, busy TSS at 0x20.
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(read(xl::kGdtAddress + 8 * i), kLongModeGdt[i]) << "GDT entry " << i;
  }
  const uint64_t cs = kLongModeGdt[2], ds = kLongModeGdt[3];
  EXPECT_EQ((cs >> 53) & 1, 1u) << "__BOOT_CS L=1";
  EXPECT_EQ((cs >> 54) & 1, 0u) << "__BOOT_CS D=0 (required with L=1)";
  EXPECT_EQ((cs >> 40) & 0xff, 0x9bu) << "present, DPL 0, code execute/read accessed";
  EXPECT_EQ((ds >> 40) & 0xff, 0x93u) << "present, DPL 0, data read/write accessed";
  EXPECT_EQ((kLongModeGdt[4] >> 40) & 0xff, 0x8bu) << "busy 64-bit TSS";
}

// Debian's stock kernel, when installed, parses and has what we need.
TEST(ParseBzImageTest, DebianKernelIfInstalled) {
  glob_t g{};
  if (::glob("/boot/vmlinuz-*", 0, nullptr, &g) != 0 || g.gl_pathc == 0) {
    globfree(&g);
    GTEST_SKIP() << "no /boot/vmlinuz-*";
  }
  std::string path = g.gl_pathv[0];
  globfree(&g);
  auto data = ReadBootFile("kernel", path, 1ull << 30);
  ASSERT_TRUE(data.ok()) << data.status();
  auto info = ParseBzImage(absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(data->data()), data->size()));
  ASSERT_TRUE(info.ok()) << path << ": " << info.status();
  EXPECT_GE(info->version, 0x020c);
  auto plan = PlanLinuxBoot(*info, 256 << 20, 2 << 20, 64);
  EXPECT_TRUE(plan.ok()) << plan.status();
}

TEST(ReadBootFileTest, NamesTheFileInErrors) {
  auto missing = ReadBootFile("initrd", "/nonexistent/initrd.img", 100);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("initrd /nonexistent/initrd.img"), std::string::npos);
  auto dir = ReadBootFile("kernel", "/", 100);
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.status().message().find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace vmm
