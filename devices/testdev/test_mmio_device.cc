#include "devices/testdev/test_mmio_device.h"

#include <algorithm>

namespace vmm {

void TestMmioDevice::Read(uint64_t offset, absl::Span<uint8_t> data) {
  uint32_t count = accesses_.fetch_add(1) + 1;
  std::fill(data.begin(), data.end(), 0);
  uint64_t reg = offset & ~uint64_t{3};
  uint32_t value = 0;
  switch (reg) {
    case kRegMagic:
      value = kMagic;
      break;
    case kRegVcpus:
      value = vcpus_;
      break;
    case kRegScratch:
      value = scratch_.load();
      break;
    case kRegAccesses:
      value = count;
      break;
    default:
      break;
  }
  // Little-endian bytes of the register, starting at the byte addressed.
  for (uint64_t i = offset - reg, j = 0; i < 4 && j < data.size(); ++i, ++j) {
    data[j] = static_cast<uint8_t>(value >> (8 * i));
  }
}

void TestMmioDevice::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  accesses_.fetch_add(1);
  uint64_t reg = offset & ~uint64_t{3};
  if (reg != kRegScratch) return;
  uint32_t value = scratch_.load();
  for (uint64_t i = offset - reg, j = 0; i < 4 && j < data.size(); ++i, ++j) {
    value = (value & ~(uint32_t{0xff} << (8 * i))) | (uint32_t{data[j]} << (8 * i));
  }
  scratch_.store(value);
}

}  // namespace vmm
