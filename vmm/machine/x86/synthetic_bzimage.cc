#include "vmm/machine/x86/synthetic_bzimage.h"

#include <cstring>

namespace vmm {

std::vector<uint8_t> SyntheticBzImage(uint64_t kernel_bytes, uint32_t init_size,
                                      uint16_t xloadflags) {
  std::vector<uint8_t> img(kSyntheticKernelOffset + kernel_bytes, 0);
  auto put = [&](size_t off, auto v) { std::memcpy(&img[off], &v, sizeof(v)); };
  put(0x1f1, uint8_t{4});                                // setup_sects
  put(0x1f4, static_cast<uint32_t>(kernel_bytes / 16));  // syssize
  put(0x1fe, uint16_t{0xaa55});                          // boot_flag
  put(0x200, uint16_t{0x66eb});                          // jmp +0x66: header ends at 0x268
  std::memcpy(&img[0x202], "HdrS", 4);
  put(0x206, uint16_t{0x020f});      // version 2.15
  put(0x211, uint8_t{0x01});         // loadflags LOADED_HIGH
  put(0x22c, uint32_t{0x7fffffff});  // initrd_addr_max
  put(0x230, uint32_t{0x200000});    // kernel_alignment
  put(0x234, uint8_t{1});            // relocatable_kernel
  put(0x236, xloadflags);            // XLF_KERNEL_64 and friends
  put(0x238, uint32_t{2047});        // cmdline_size
  put(0x258, uint64_t{0x1000000});   // pref_address
  put(0x260, init_size);             // init_size
  return img;
}

}  // namespace vmm
