#ifndef DEVICES_RISCV_SIFIVE_TEST_H_
#define DEVICES_RISCV_SIFIVE_TEST_H_

#include <cstdint>
#include <functional>

#include "devices/bus/bus.h"

namespace vmm {

// The `sifive,test0` finisher (QEMU hw/misc/sifive_test.c): a 32-bit write
// to offset 0 of 0x5555 powers off (pass), 0x7777 resets, and
// (code << 16) | 0x3333 powers off with failure `code`. Linux reaches it
// through the syscon-poweroff / syscon-reboot nodes, OpenSBI through its
// SRST driver. Other values and accesses are ignored.
class SifiveTest : public BusDevice {
 public:
  static constexpr uint64_t kSize = 0x1000;
  enum class Event { kPass, kFail, kReset };
  // `code` is the failure code for kFail, 0 otherwise. Called on the vCPU
  // thread that wrote; it must not block on vCPUs.
  using Callback = std::function<void(Event event, uint16_t code)>;

  explicit SifiveTest(Callback callback) : callback_(std::move(callback)) {}

  absl::string_view name() const override { return "sifive-test"; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

 private:
  const Callback callback_;
};

}  // namespace vmm

#endif  // DEVICES_RISCV_SIFIVE_TEST_H_
