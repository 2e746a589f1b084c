// PVH entry on the real /dev/kvm, through X86KvmMachine: a tiny ELF with a
// PHYS32_ENTRY note whose 32-bit code checks the hvm_start_info magic at
// [EBX], prints the first command-line byte on COM1 and powers off through
// port 0x600 (reboot if the magic is wrong). No Linux needed.
#include <elf.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
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
constexpr uint64_t kLoad = 0x100000;

std::string WriteElf(const std::string& dir) {
  std::vector<uint8_t> img(0x1000 + sizeof(kCode), 0);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_X86_64;
  eh.e_phoff = sizeof(eh);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 2;
  std::memcpy(&img[0], &eh, sizeof(eh));
  Elf64_Phdr load{};
  load.p_type = PT_LOAD;
  load.p_offset = 0x1000;
  load.p_paddr = kLoad;
  load.p_filesz = load.p_memsz = sizeof(kCode);
  Elf64_Phdr note{};
  note.p_type = PT_NOTE;
  note.p_offset = 0x200;
  note.p_filesz = sizeof(Elf64_Nhdr) + 4 + 8;
  std::memcpy(&img[sizeof(eh)], &load, sizeof(load));
  std::memcpy(&img[sizeof(eh) + sizeof(load)], &note, sizeof(note));
  Elf64_Nhdr nh{4, 8, 18};  // "Xen", XEN_ELFNOTE_PHYS32_ENTRY, 8 bytes.
  std::memcpy(&img[0x200], &nh, sizeof(nh));
  std::memcpy(&img[0x200 + sizeof(nh)], "Xen", 4);
  const uint64_t entry = kLoad;
  std::memcpy(&img[0x200 + sizeof(nh) + 4], &entry, 8);
  std::memcpy(&img[0x1000], kCode, sizeof(kCode));
  const std::string path = dir + "/pvh.elf";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(img.data()),
                                               static_cast<std::streamsize>(img.size()));
  return path;
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
