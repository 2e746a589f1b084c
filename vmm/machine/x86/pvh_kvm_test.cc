// PVH entry on the real /dev/kvm, through X86KvmMachine: a tiny ELF with a
// PHYS32_ENTRY note whose 32-bit code checks the hvm_start_info magic at
// [EBX], prints the first command-line byte on COM1 and powers off through
// port 0x600 (reboot if the magic is wrong). No Linux needed.
#include <unistd.h>

#include <iterator>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "vmm/machine/x86/pvh_test_elf.h"
#include "vmm/machine/x86/x86_kvm_machine.h"

namespace vmm {
namespace {

//   cmpl $0x336ec578,(%ebx); jne 1f
//   mov 24(%ebx),%esi; movb (%esi),%al; mov $0x3f8,%dx; out %al,(%dx)
//   mov $0x600,%dx; mov $1,%al; out %al,(%dx)
// 1: mov $0x600,%dx; mov $2,%al; out %al,(%dx); hlt
constexpr uint8_t kCode[] = {0x81, 0x3b, 0x78, 0xc5, 0x6e, 0x33, 0x75, 0x11, 0x8b, 0x73, 0x18,
                             0x8a, 0x06, 0x66, 0xba, 0xf8, 0x03, 0xee, 0x66, 0xba, 0x00, 0x06,
                             0xb0, 0x01, 0xee, 0x66, 0xba, 0x00, 0x06, 0xb0, 0x02, 0xee, 0xf4};
std::string WriteElf(const std::string& dir) {
  return WritePvhTestElf(dir, "pvh.elf", std::vector<uint8_t>(std::begin(kCode), std::end(kCode)));
}

TEST(PvhKvmTest, EntersWithStartInfoInEbx) {
  const char* tmp = getenv("TEST_TMPDIR");
  MachineSpec spec;
  spec.arch = GuestArch::kX86_64;
  spec.vcpus = 1;
  spec.memory_bytes = 32 << 20;
  spec.kernel_path = WriteElf(tmp != nullptr ? tmp : "/tmp");
  spec.cmdline = "Zconsole=ttyS0";
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
  EXPECT_EQ(console, "Z");
}

TEST(PvhKvmTest, BadElfRejectedAtCreate) {
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string path = WriteElf(tmp != nullptr ? tmp : "/tmp");
  // Truncate inside the program headers.
  ASSERT_EQ(truncate(path.c_str(), 100), 0);
  MachineSpec spec;
  spec.arch = GuestArch::kX86_64;
  spec.memory_bytes = 32 << 20;
  spec.kernel_path = path;
  auto machine = X86KvmMachine::Create(spec, [](absl::string_view) {});
  ASSERT_FALSE(machine.ok());
  EXPECT_NE(machine.status().message().find("truncated"), std::string::npos) << machine.status();
  EXPECT_NE(machine.status().message().find(path), std::string::npos) << machine.status();
}

}  // namespace
}  // namespace vmm
