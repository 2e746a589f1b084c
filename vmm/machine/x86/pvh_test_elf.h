#ifndef VMM_MACHINE_X86_PVH_TEST_ELF_H_
#define VMM_MACHINE_X86_PVH_TEST_ELF_H_

#include <cstdint>
#include <string>
#include <vector>

namespace vmm {

// For tests: writes DIR/NAME, a minimal ELF whose one PT_LOAD puts `code` at
// kPvhTestLoad (followed by `zeros` zero bytes of bss) and whose
// XEN_ELFNOTE_PHYS32_ENTRY note points at its first byte, so X86KvmMachine
// enters `code` in flat 32-bit protected mode with EBX = hvm_start_info
// (pvh_boot.h). Returns the path.
constexpr uint64_t kPvhTestLoad = 0x100000;
std::string WritePvhTestElf(const std::string& dir, const std::string& name,
                            const std::vector<uint8_t>& code, uint64_t zeros = 0);

}  // namespace vmm

#endif  // VMM_MACHINE_X86_PVH_TEST_ELF_H_
