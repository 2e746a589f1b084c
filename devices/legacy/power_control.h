#ifndef DEVICES_LEGACY_POWER_CONTROL_H_
#define DEVICES_LEGACY_POWER_CONTROL_H_

#include <atomic>
#include <cstdint>
#include <functional>

#include "devices/bus/bus.h"

namespace vmm {

// What a guest asked the platform for (power control, i8042 reset...).
enum class GuestPowerAction { kPowerOff, kReboot };
using PowerActionHandler = std::function<void(GuestPowerAction)>;

// A one-byte port for test payloads (conventionally PIO 0x600; see
// tests/guests/README.md).
//   write 1: power off; write 2: reboot; other values are ignored.
//   read: bit 0 = the host asked for a graceful power off.
class PowerControl : public BusDevice {
 public:
  static constexpr uint16_t kDefaultPort = 0x600;
  static constexpr uint8_t kCmdPowerOff = 1;
  static constexpr uint8_t kCmdReboot = 2;
  static constexpr uint8_t kStatusPowerOffRequested = 0x01;

  explicit PowerControl(PowerActionHandler handler) : handler_(std::move(handler)) {}

  absl::string_view name() const override { return "power_control"; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

  // Host side: sets the status bit the guest polls. Thread-safe.
  void RequestPowerOff() { power_off_requested_.store(true); }

 private:
  const PowerActionHandler handler_;
  std::atomic<bool> power_off_requested_{false};
};

}  // namespace vmm

#endif  // DEVICES_LEGACY_POWER_CONTROL_H_
