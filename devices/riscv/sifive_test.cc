#include "devices/riscv/sifive_test.h"

namespace vmm {
namespace {
constexpr uint16_t kFail = 0x3333, kPass = 0x5555, kReset = 0x7777;
}  // namespace

void SifiveTest::Read(uint64_t /*offset*/, absl::Span<uint8_t> data) {
  for (uint8_t& b : data) b = 0;  // Write-only register; reads as zero.
}

void SifiveTest::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  // Linux's syscon-poweroff uses regmap (32-bit) writes; OpenSBI's
  // sifive_test driver writew (16-bit: status only, code 0). QEMU's model
  // takes 2- and 4-byte accesses.
  if (offset != 0 || (data.size() != 4 && data.size() != 2)) return;
  uint32_t v = uint32_t{data[0]} | uint32_t{data[1]} << 8;
  if (data.size() == 4) v |= uint32_t{data[2]} << 16 | uint32_t{data[3]} << 24;
  uint16_t status = static_cast<uint16_t>(v);
  uint16_t code = static_cast<uint16_t>(v >> 16);
  if (!callback_) return;
  switch (status) {
    case kPass: callback_(Event::kPass, 0); break;
    case kFail: callback_(Event::kFail, code); break;
    case kReset: callback_(Event::kReset, 0); break;
    default: break;  // Unknown status: ignored like QEMU's model.
  }
}

}  // namespace vmm
