#include "devices/virtio/pci/pci_config_space.h"

#include <cstring>

namespace vmm {
namespace pci {

PciConfigSpace::PciConfigSpace(uint16_t vendor, uint16_t device, uint32_t class_code,
                               uint8_t revision, uint16_t subsystem_vendor, uint16_t subsystem_id) {
  Set16(0x00, vendor);
  Set16(0x02, device);
  Set8(0x08, revision);
  Set8(0x09, static_cast<uint8_t>(class_code));
  Set8(0x0a, static_cast<uint8_t>(class_code >> 8));
  Set8(0x0b, static_cast<uint8_t>(class_code >> 16));
  Set8(0x0e, 0);  // Header type 0, single function.
  Set16(0x2c, subsystem_vendor);
  Set16(0x2e, subsystem_id);
  Set8(0x3d, 1);  // Interrupt pin INTA#.
  // Driver-writable: command (memory, bus master, INTx disable), cache line
  // size, latency timer, interrupt line.
  const uint16_t cmd_mask = kCommandMemory | kCommandBusMaster | kCommandIntxDisable;
  mask_[0x04] = static_cast<uint8_t>(cmd_mask);
  mask_[0x05] = static_cast<uint8_t>(cmd_mask >> 8);
  mask_[0x0c] = 0xff;
  mask_[0x0d] = 0xff;
  mask_[0x3c] = 0xff;
}

uint16_t PciConfigSpace::Get16(uint32_t offset) const {
  uint16_t v;
  std::memcpy(&v, &bytes_[offset], 2);
  return v;
}
uint32_t PciConfigSpace::Get32(uint32_t offset) const {
  uint32_t v;
  std::memcpy(&v, &bytes_[offset], 4);
  return v;
}
void PciConfigSpace::Set16(uint32_t offset, uint16_t v) { std::memcpy(&bytes_[offset], &v, 2); }
void PciConfigSpace::Set32(uint32_t offset, uint32_t v) { std::memcpy(&bytes_[offset], &v, 4); }

void PciConfigSpace::AddMemBar64(int bar, uint64_t size) {
  bar_size_[bar] = size;
  const uint32_t reg = 0x10 + 4 * bar;
  Set32(reg, 0x4);  // Memory, 64-bit, not prefetchable.
  const uint64_t addr_mask = ~(size - 1);
  const uint32_t lo = static_cast<uint32_t>(addr_mask) & ~0xfu;
  const uint32_t hi = static_cast<uint32_t>(addr_mask >> 32);
  std::memcpy(&mask_[reg], &lo, 4);
  std::memcpy(&mask_[reg + 4], &hi, 4);
}

uint64_t PciConfigSpace::BarAddress(int bar) const {
  if (bar_size_[bar] == 0 || !(command() & kCommandMemory)) return 0;
  const uint32_t reg = 0x10 + 4 * bar;
  return (uint64_t{Get32(reg + 4)} << 32) | (Get32(reg) & ~0xfu);
}

uint8_t PciConfigSpace::AddCapability(uint8_t id, absl::Span<const uint8_t> body,
                                      absl::Span<const uint8_t> writable_mask) {
  const uint32_t at = next_cap_;
  bytes_[at] = id;
  bytes_[at + 1] = 0;
  std::memcpy(&bytes_[at + 2], body.data(), body.size());
  for (size_t i = 0; i < writable_mask.size() && i < body.size(); ++i) {
    mask_[at + 2 + i] = writable_mask[i];
  }
  if (last_cap_ == 0) {
    bytes_[0x34] = static_cast<uint8_t>(at);
    Set16(0x06, Get16(0x06) | (1 << 4));  // Status: capabilities list.
  } else {
    bytes_[last_cap_ + 1] = static_cast<uint8_t>(at);
  }
  last_cap_ = static_cast<uint8_t>(at);
  next_cap_ = (at + 2 + body.size() + 3) & ~3u;
  return static_cast<uint8_t>(at);
}

void PciConfigSpace::Read(uint32_t offset, absl::Span<uint8_t> data) const {
  for (size_t i = 0; i < data.size(); ++i) {
    const uint64_t at = uint64_t{offset} + i;
    data[i] = at < kConfigSpaceSize ? bytes_[at] : 0xff;
  }
}

void PciConfigSpace::Write(uint32_t offset, absl::Span<const uint8_t> data) {
  for (size_t i = 0; i < data.size(); ++i) {
    const uint64_t at = uint64_t{offset} + i;
    if (at >= kConfigSpaceSize) return;
    bytes_[at] = static_cast<uint8_t>((bytes_[at] & ~mask_[at]) | (data[i] & mask_[at]));
  }
}

}  // namespace pci
}  // namespace vmm
