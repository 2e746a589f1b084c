#ifndef DEVICES_VIRTIO_PCI_PCI_CONFIG_SPACE_H_
#define DEVICES_VIRTIO_PCI_PCI_CONFIG_SPACE_H_

#include <array>
#include <cstdint>

#include "absl/types/span.h"

namespace vmm {
namespace pci {

inline constexpr uint32_t kConfigSpaceSize = 4096;  // PCIe extended space
inline constexpr uint16_t kCommandMemory = 1 << 1;
inline constexpr uint16_t kCommandBusMaster = 1 << 2;
inline constexpr uint16_t kCommandIntxDisable = 1 << 10;
inline constexpr uint8_t kCapIdMsix = 0x11;
inline constexpr uint8_t kCapIdVendor = 0x09;

// A type-0 configuration header (PCI 3.0 §6.1) with write masks, memory
// BARs that answer the sizing protocol (write all-ones, read back the size
// mask, §6.2.5.1), and a capability list. Bytes outside what the device
// defines read as zero and ignore writes. Not thread-safe: the owner locks.
class PciConfigSpace {
 public:
  PciConfigSpace(uint16_t vendor, uint16_t device, uint32_t class_code, uint8_t revision,
                 uint16_t subsystem_vendor, uint16_t subsystem_id);

  // A 64-bit memory BAR in registers `bar` and `bar + 1`; size a power of 2
  // >= 16.
  void AddMemBar64(int bar, uint64_t size);
  uint64_t BarSize(int bar) const { return bar_size_[bar]; }
  // Current address if memory decoding is on, else 0.
  uint64_t BarAddress(int bar) const;

  // Appends a capability: `body` is everything after the id and next
  // bytes. Returns its offset. `writable_mask` (same length as body, may be
  // empty) marks bits the driver may change.
  uint8_t AddCapability(uint8_t id, absl::Span<const uint8_t> body,
                        absl::Span<const uint8_t> writable_mask = {});

  void Read(uint32_t offset, absl::Span<uint8_t> data) const;
  void Write(uint32_t offset, absl::Span<const uint8_t> data);

  uint16_t command() const { return Get16(0x04); }
  uint8_t Get8(uint32_t offset) const { return bytes_[offset]; }
  uint16_t Get16(uint32_t offset) const;
  uint32_t Get32(uint32_t offset) const;
  // For the owner's read-only fields (the device updates them).
  void Set8(uint32_t offset, uint8_t v) { bytes_[offset] = v; }
  void Set16(uint32_t offset, uint16_t v);
  void Set32(uint32_t offset, uint32_t v);

 private:
  std::array<uint8_t, kConfigSpaceSize> bytes_{};
  std::array<uint8_t, kConfigSpaceSize> mask_{};
  std::array<uint64_t, 6> bar_size_{};
  uint8_t last_cap_ = 0;      // Offset of the last capability (0: none).
  uint32_t next_cap_ = 0x40;  // Where the next capability goes.
};

}  // namespace pci
}  // namespace vmm

#endif  // DEVICES_VIRTIO_PCI_PCI_CONFIG_SPACE_H_
