// The 64-bit bzImage entry on the real /dev/kvm, through X86KvmMachine: a
// synthetic bzImage whose startup_64 (load address + 0x200) is a few bytes of
// 64-bit code that checks "HdrS" in boot_params at RSI, then reads three
// bytes through the loader's identity map and writes each to COM1: the
// first command-line byte (low RAM), the first initrd byte (placed just
// below 2 GiB, in the second page directory) and the LAPIC version register
// at 0xfee00030 (the fourth page directory); then powers off through port
// 0x600 (reboot if the magic is wrong). Any bad long-mode state or table is
// a fault, hence a triple fault, not a power-off. No Linux needed.
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "vmm/machine/x86/synthetic_bzimage.h"
#include "vmm/machine/x86/x86_kvm_machine.h"

namespace vmm {
namespace {

//   cmpl $0x53726448,0x202(%rsi); jne 1f
//   mov 0x228(%rsi),%eax; mov (%rax),%al; mov $0x3f8,%dx; out %al,(%dx)   cmd_line_ptr
//   mov 0x218(%rsi),%eax; mov (%rax),%al; out %al,(%dx)                   ramdisk_image
//   movabs $0xfee00030,%rax; mov (%rax),%al; out %al,(%dx)                LAPIC version
//   mov $0x600,%dx; mov $1,%al; out %al,(%dx); hlt
// 1: mov $0x600,%dx; mov $2,%al; out %al,(%dx); hlt
constexpr uint8_t kStartup64[] = {
    0x81, 0xbe, 0x02, 0x02, 0x00, 0x00, 0x48, 0x64, 0x72, 0x53, 0x75, 0x2b, 0x8b,
    0x86, 0x28, 0x02, 0x00, 0x00, 0x8a, 0x00, 0x66, 0xba, 0xf8, 0x03, 0xee, 0x8b,
    0x86, 0x18, 0x02, 0x00, 0x00, 0x8a, 0x00, 0xee, 0x48, 0xb8, 0x30, 0x00, 0xe0,
    0xfe, 0x00, 0x00, 0x00, 0x00, 0x8a, 0x00, 0xee, 0x66, 0xba, 0x00, 0x06, 0xb0,
    0x01, 0xee, 0xf4, 0x66, 0xba, 0x00, 0x06, 0xb0, 0x02, 0xee, 0xf4};

// Boot sector + 4 setup sectors + a 4 KiB protected-mode kernel with
// kStartup64 at offset 0x200; header fields as a real x86_64 bzImage has them.
std::string WriteBzImage(const std::string& dir) {
  constexpr size_t kKernelBytes = 4096;
  std::vector<uint8_t> img = SyntheticBzImage(kKernelBytes, 0x100000, /*XLF_KERNEL_64=*/0x01);
  std::fill(img.begin() + kSyntheticKernelOffset, img.end(), 0xf4);  // hlt everywhere else.
  std::memcpy(&img[kSyntheticKernelOffset + 0x200], kStartup64, sizeof(kStartup64));
  const std::string path = dir + "/bzimage64";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(img.data()),
                                               static_cast<std::streamsize>(img.size()));
  return path;
}

TEST(BzImage64KvmTest, EntersStartup64InLongModeOnTheIdentityMap) {
  const char* tmp_env = getenv("TEST_TMPDIR");
  const std::string tmp = tmp_env != nullptr ? tmp_env : "/tmp";
  const std::string initrd = tmp + "/initrd64";
  std::ofstream(initrd, std::ios::binary) << "Q";
  MachineSpec spec;
  spec.arch = GuestArch::kX86_64;
  spec.vcpus = 1;
  spec.memory_bytes = 2ull << 30;  // The initrd lands in [1 GiB, 2 GiB).
  spec.kernel_path = WriteBzImage(tmp);
  spec.initrd_path = initrd;
  spec.cmdline = "Zconsole=ttyS0";
  spec.x86_entry = X86KernelEntry::k64Bit;
  absl::Mutex mu;
  std::string console;
  auto machine = X86KvmMachine::Create(spec, [&](absl::string_view b) {
    absl::MutexLock lock(&mu);
    console.append(b.data(), b.size());
  });
  ASSERT_TRUE(machine.ok()) << machine.status();
  ASSERT_TRUE((*machine)->Start().ok());
  MachineExit exit = (*machine)->WaitForExit();
  EXPECT_EQ(exit.kind, MachineExit::Kind::kPowerOff) << exit.message;
  absl::MutexLock lock(&mu);
  // KVM's LAPIC version register reads 0x14 in its low byte (APIC_VERSION).
  EXPECT_EQ(console, std::string("ZQ\x14")) << "console bytes: " << console.size();
}

}  // namespace
}  // namespace vmm
