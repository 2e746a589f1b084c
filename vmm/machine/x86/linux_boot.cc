#include "vmm/machine/x86/linux_boot.h"

#include <asm/bootparam.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/fd.h"
#include "vmm/base/status_macros.h"
#include "vmm/machine/x86/boot_gdt.h"
#include "vmm/machine/x86/boot_write.h"
#include "vmm/machine/x86/long_mode_boot.h"
#include "vmm/machine/x86/x86_layout.h"

namespace vmm {
namespace {

namespace xl = x86_layout;

// Offsets in the bzImage file (boot.rst, "THE REAL-MODE KERNEL HEADER").
constexpr size_t kSetupHeaderOffset = 0x1f1;
constexpr size_t kBootFlagOffset = 0x1fe;
constexpr size_t kJumpOffset = 0x200;
constexpr size_t kHeaderMagicOffset = 0x202;
constexpr size_t kVersionOffset = 0x206;
constexpr size_t kHeaderEndV212 = 0x268;  // End of kernel_info_offset (2.15 layout).
constexpr uint32_t kHdrSMagic = 0x53726448;  // "HdrS".
constexpr uint16_t kBootFlag = 0xaa55;
constexpr uint16_t kMinVersion = 0x020c;
constexpr uint16_t kVersionRsdp = 0x020e;  // 2.14: boot_params.acpi_rsdp_addr.
constexpr uint8_t kLoadedHigh = 0x01;
constexpr uint16_t kXlfKernel64 = 0x01;
constexpr uint8_t kTypeOfLoaderUndefined = 0xff;
constexpr uint64_t kStartup64Offset = 0x200;  // boot.rst "64-bit BOOT PROTOCOL".

template <typename T>
T Get(absl::Span<const uint8_t> b, size_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof(T));
  return v;
}

uint64_t AlignUp(uint64_t v, uint64_t a) { return a == 0 ? v : (v + a - 1) / a * a; }

void AddE820(boot_params* bp, uint64_t addr, uint64_t size, uint32_t type) {
  if (bp->e820_entries >= E820_MAX_ENTRIES_ZEROPAGE) return;
  boot_e820_entry& e = bp->e820_table[bp->e820_entries++];
  e.addr = addr;
  e.size = size;
  e.type = type;
}

}  // namespace

absl::StatusOr<BzImageInfo> ParseBzImage(absl::Span<const uint8_t> image) {
  if (image.size() < kVersionOffset + 2) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "truncated: %d bytes, shorter than a bzImage boot sector and setup header "
        "(at least %d bytes)",
        image.size(), kHeaderEndV212));
  }
  if (Get<uint32_t>(image, kHeaderMagicOffset) != kHdrSMagic) {
    return absl::InvalidArgumentError(
        "not a Linux bzImage: no \"HdrS\" magic at offset 0x202 (an uncompressed vmlinux ELF "
        "or another format?)");
  }
  if (Get<uint16_t>(image, kBootFlagOffset) != kBootFlag) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "not a Linux bzImage: boot_flag at 0x1fe is 0x%04x, expected 0xaa55",
        Get<uint16_t>(image, kBootFlagOffset)));
  }
  BzImageInfo info;
  info.version = Get<uint16_t>(image, kVersionOffset);
  if (info.version < kMinVersion) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "boot protocol %d.%02d is too old: need 2.12 or newer (Linux 3.8+)",
        info.version >> 8, info.version & 0xff));
  }
  if (image.size() < kHeaderEndV212) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "truncated: %d bytes, the setup header ends at %d", image.size(), kHeaderEndV212));
  }
  setup_header hdr;
  std::memcpy(&hdr, image.data() + kSetupHeaderOffset, sizeof(hdr));
  uint64_t setup_sects = hdr.setup_sects == 0 ? 4 : hdr.setup_sects;  // boot.rst: 0 means 4.
  info.setup_bytes = (setup_sects + 1) * 512;
  if (image.size() <= info.setup_bytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("truncated: %d bytes, no kernel after the %d-byte real-mode setup",
                        image.size(), info.setup_bytes));
  }
  info.kernel_bytes = image.size() - info.setup_bytes;
  uint64_t syssize_bytes = uint64_t{hdr.syssize} * 16;  // syssize is in 16-byte paragraphs.
  if (info.kernel_bytes < syssize_bytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "truncated: the header's syssize says the kernel is %d bytes, the file has %d after "
        "setup",
        syssize_bytes, info.kernel_bytes));
  }
  if ((hdr.loadflags & kLoadedHigh) == 0) {
    return absl::InvalidArgumentError("a zImage (loadflags.LOADED_HIGH clear): not supported");
  }
  if ((hdr.xloadflags & kXlfKernel64) == 0) {
    return absl::InvalidArgumentError(
        "not a 64-bit kernel: xloadflags.XLF_KERNEL_64 is clear (an x86_64 kernel is needed)");
  }
  if (hdr.init_size == 0 || hdr.init_size < info.kernel_bytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bad header: init_size %d is smaller than the %d-byte kernel", hdr.init_size,
        info.kernel_bytes));
  }
  info.pref_address = hdr.pref_address;
  info.init_size = hdr.init_size;
  info.kernel_alignment = hdr.kernel_alignment;
  info.relocatable = hdr.relocatable_kernel != 0;
  info.initrd_addr_max = hdr.initrd_addr_max;
  info.cmdline_size = hdr.cmdline_size;
  return info;
}

absl::StatusOr<LinuxBootPlan> PlanLinuxBoot(const BzImageInfo& info, uint64_t memory_bytes,
                                            uint64_t initrd_bytes, size_t cmdline_length) {
  if (cmdline_length > info.cmdline_size || cmdline_length >= xl::kMaxCmdline) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "command line is %d bytes; this kernel accepts at most %d (setup header cmdline_size)",
        cmdline_length, std::min<uint64_t>(info.cmdline_size, xl::kMaxCmdline - 1)));
  }
  const uint64_t low_end = std::min(memory_bytes, xl::kPciHoleStart);
  LinuxBootPlan plan;
  // The preferred address when it fits (the kernel then need not move
  // itself); a relocatable kernel can also run from the lowest aligned
  // address above 1 MiB.
  plan.kernel_address = info.pref_address;
  if (plan.kernel_address < xl::kHighMemoryStart ||
      plan.kernel_address + info.init_size > low_end) {
    if (!info.relocatable && plan.kernel_address >= xl::kHighMemoryStart) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "this non-relocatable kernel needs RAM up to 0x%x (pref_address 0x%x + init_size %d); "
          "memory_bytes=%d is too small",
          info.pref_address + info.init_size, info.pref_address, info.init_size, memory_bytes));
    }
    plan.kernel_address = AlignUp(xl::kHighMemoryStart, std::max<uint64_t>(info.kernel_alignment, 4096));
  }
  const uint64_t kernel_end = plan.kernel_address + info.init_size;
  if (kernel_end > low_end) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the kernel needs RAM up to 0x%x (load address 0x%x + init_size %d); memory_bytes=%d "
        "is too small",
        kernel_end, plan.kernel_address, info.init_size, memory_bytes));
  }
  plan.initrd_bytes = initrd_bytes;
  if (initrd_bytes > 0) {
    // As high as allowed (boot.rst: "as high as possible"), page aligned,
    // and above the kernel's init_size area.
    uint64_t top = std::min<uint64_t>(uint64_t{info.initrd_addr_max} + 1, low_end);
    if (initrd_bytes > top || (top - initrd_bytes) / 4096 * 4096 < kernel_end) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "initrd of %d bytes does not fit in guest RAM between the kernel (ends at 0x%x) and "
          "0x%x (min of RAM below 3 GiB and initrd_addr_max); raise memory_bytes (now %d)",
          initrd_bytes, kernel_end, top, memory_bytes));
    }
    plan.initrd_address = (top - initrd_bytes) / 4096 * 4096;
  }
  return plan;
}

absl::StatusOr<LinuxEntry> LoadLinux(GuestMemory* memory, uint64_t memory_bytes,
                                     const BzImageInfo& info, const LinuxBootPlan& plan,
                                     absl::Span<const uint8_t> image,
                                     absl::Span<const uint8_t> initrd, absl::string_view cmdline,
                                     uint64_t rsdp, LinuxEntryMode mode) {
  RETURN_IF_ERROR(
      WriteBootBytes(memory, plan.kernel_address, image.subspan(info.setup_bytes), "kernel"));
  if (!initrd.empty()) {
    RETURN_IF_ERROR(WriteBootBytes(memory, plan.initrd_address, initrd, "initrd"));
  }
  std::string cmd(cmdline);
  cmd.push_back('\0');
  RETURN_IF_ERROR(WriteBootBytes(
      memory, xl::kCmdlineAddress,
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(cmd.data()), cmd.size()), "cmdline"));

  boot_params bp;
  std::memset(&bp, 0, sizeof(bp));
  // The header is copied as the kernel wrote it; its length is given by the
  // jump at 0x200 (boot.rst: "the end of the setup header can be found at
  // 0x0202 + the byte value at offset 0x0201").
  size_t header_end = std::min<size_t>(kJumpOffset + 2 + image[kJumpOffset + 1],
                                       kSetupHeaderOffset + sizeof(setup_header));
  header_end = std::min(header_end, image.size());
  std::memcpy(reinterpret_cast<uint8_t*>(&bp) + kSetupHeaderOffset,
              image.data() + kSetupHeaderOffset, header_end - kSetupHeaderOffset);
  bp.hdr.type_of_loader = kTypeOfLoaderUndefined;
  bp.hdr.code32_start = static_cast<uint32_t>(plan.kernel_address);
  bp.hdr.cmd_line_ptr = static_cast<uint32_t>(xl::kCmdlineAddress);
  bp.hdr.ramdisk_image = static_cast<uint32_t>(plan.initrd_address);
  bp.hdr.ramdisk_size = static_cast<uint32_t>(plan.initrd_bytes);
  if (rsdp != 0 && info.version >= kVersionRsdp) bp.acpi_rsdp_addr = rsdp;

  // e820: conventional RAM, the EBDA/BIOS area (our ACPI tables live there),
  // RAM from 1 MiB to the PCI hole, RAM above 4 GiB.
  const uint64_t low_end = std::min(memory_bytes, xl::kPciHoleStart);
  AddE820(&bp, 0, xl::kEbdaStart, kE820Ram);
  AddE820(&bp, xl::kEbdaStart, xl::kHighMemoryStart - xl::kEbdaStart, kE820Reserved);
  AddE820(&bp, xl::kHighMemoryStart, low_end - xl::kHighMemoryStart, kE820Ram);
  if (memory_bytes > xl::kPciHoleStart) {
    AddE820(&bp, xl::k4GiB, memory_bytes - xl::kPciHoleStart, kE820Ram);
  }
  RETURN_IF_ERROR(memory->WriteObj(GuestAddress(xl::kZeroPageAddress), bp));
  if (mode == LinuxEntryMode::k32Bit) {
    RETURN_IF_ERROR(WriteBootGdt(memory));
    return LinuxEntry{mode, plan.kernel_address, xl::kZeroPageAddress};
  }
  // The 64-bit entry runs on our identity map until the kernel switches to
  // its own, so everything it reads first must be mapped (boot.rst).
  const uint64_t kernel_end = plan.kernel_address + std::max<uint64_t>(info.init_size,
                                                                       info.kernel_bytes);
  if (kernel_end > kIdentityMapBytes ||
      plan.initrd_address + plan.initrd_bytes > kIdentityMapBytes) {
    return absl::InternalError(absl::StrFormat(
        "64-bit entry: kernel [0x%x, 0x%x) or initrd [0x%x, +0x%x) is above the 4 GiB identity "
        "map",
        plan.kernel_address, kernel_end, plan.initrd_address, plan.initrd_bytes));
  }
  RETURN_IF_ERROR(WriteLongModeGdt(memory));
  RETURN_IF_ERROR(WriteIdentityMap(memory));
  return LinuxEntry{mode, plan.kernel_address + kStartup64Offset, xl::kZeroPageAddress};
}

absl::StatusOr<std::string> ReadBootFile(absl::string_view what, const std::string& path,
                                         uint64_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return ErrnoStatus(absl::StrCat(what, " ", path));
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return ErrnoStatus(absl::StrCat(what, " ", path, ": fstat"));
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", path, ": not a regular file"));
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s %s: %d bytes is larger than guest RAM (%d bytes); raise memory_bytes", what, path,
        size, max_bytes));
  }
  std::string data(size, '\0');
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd.get(), &data[done], size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(absl::StrCat(what, " ", path, ": read"));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  return data;
}

}  // namespace vmm
