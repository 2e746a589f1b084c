#ifndef DEVICES_TESTDEV_TEST_MMIO_DEVICE_H_
#define DEVICES_TESTDEV_TEST_MMIO_DEVICE_H_

#include <atomic>
#include <cstdint>

#include "devices/bus/bus.h"

namespace vmm {

// A 4 KiB MMIO window that test payloads poke to prove MMIO exits work
// (conventionally at guest physical 0xd0000000). 32-bit registers:
//   0x0 MAGIC    (ro) 0x444d4d56 ("VMMD" in little-endian memory order)
//   0x4 VCPUS    (ro) number of vCPUs of the machine
//   0x8 SCRATCH  (rw) reads back the last value written
//   0xC ACCESSES (ro) accesses to this device so far, this read included
// Other offsets read as zero and ignore writes. Accesses narrower than 4
// bytes see the corresponding bytes of the register; wider ones are
// truncated to one register.
class TestMmioDevice : public BusDevice {
 public:
  static constexpr uint64_t kDefaultBase = 0xd0000000;
  static constexpr uint64_t kSize = 0x1000;
  static constexpr uint32_t kMagic = 0x444d4d56;
  enum : uint64_t { kRegMagic = 0x0, kRegVcpus = 0x4, kRegScratch = 0x8, kRegAccesses = 0xc };

  explicit TestMmioDevice(uint32_t vcpus) : vcpus_(vcpus) {}

  absl::string_view name() const override { return "test_mmio"; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

  uint32_t scratch() const { return scratch_.load(); }
  uint32_t accesses() const { return accesses_.load(); }

 private:
  const uint32_t vcpus_;
  std::atomic<uint32_t> scratch_{0};
  std::atomic<uint32_t> accesses_{0};
};

}  // namespace vmm

#endif  // DEVICES_TESTDEV_TEST_MMIO_DEVICE_H_
