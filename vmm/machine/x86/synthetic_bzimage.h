#ifndef VMM_MACHINE_X86_SYNTHETIC_BZIMAGE_H_
#define VMM_MACHINE_X86_SYNTHETIC_BZIMAGE_H_

// Test support (testonly): a synthetic x86_64 bzImage, for loader tests that
// need no real kernel. Boot sector + 4 setup sectors + `kernel_bytes` of
// protected-mode kernel (zeros), with the setup header fields a real x86_64
// bzImage has (boot.rst: protocol 2.15, relocatable, loaded high, 16 MiB
// pref_address). The caller fills the kernel at kSyntheticKernelOffset.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vmm {

inline constexpr size_t kSyntheticKernelOffset = 5 * 512;

std::vector<uint8_t> SyntheticBzImage(uint64_t kernel_bytes, uint32_t init_size,
                                      uint16_t xloadflags);

}  // namespace vmm

#endif  // VMM_MACHINE_X86_SYNTHETIC_BZIMAGE_H_
