#include "vmm/machine/x86/pvh_test_elf.h"

#include <elf.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fstream>

namespace vmm {

std::string WritePvhTestElf(const std::string& dir, const std::string& name,
                            const std::vector<uint8_t>& code, uint64_t zeros) {
  std::vector<uint8_t> img(0x1000 + code.size(), 0);
  // copy_n, not memcpy: GCC's -Warray-bounds cannot size a vector whose
  // length depends on an argument.
  auto put = [&img](size_t off, const void* p, size_t n) {
    std::copy_n(static_cast<const uint8_t*>(p), n, img.begin() + static_cast<ptrdiff_t>(off));
  };
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
  put(0, &eh, sizeof(eh));
  Elf64_Phdr load{};
  load.p_type = PT_LOAD;
  load.p_offset = 0x1000;
  load.p_paddr = kPvhTestLoad;
  load.p_filesz = code.size();
  load.p_memsz = code.size() + zeros;
  Elf64_Phdr note{};
  note.p_type = PT_NOTE;
  note.p_offset = 0x200;
  note.p_filesz = sizeof(Elf64_Nhdr) + 4 + 8;
  put(sizeof(eh), &load, sizeof(load));
  put(sizeof(eh) + sizeof(load), &note, sizeof(note));
  Elf64_Nhdr nh{4, 8, 18};  // "Xen", XEN_ELFNOTE_PHYS32_ENTRY, 8 bytes.
  put(0x200, &nh, sizeof(nh));
  put(0x200 + sizeof(nh), "Xen", 4);
  const uint64_t entry = kPvhTestLoad;
  put(0x200 + sizeof(nh) + 4, &entry, 8);
  put(0x1000, code.data(), code.size());
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(img.data()), static_cast<std::streamsize>(img.size()));
  return path;
}

}  // namespace vmm
