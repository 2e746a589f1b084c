#ifndef DEVICES_LEGACY_I8042_H_
#define DEVICES_LEGACY_I8042_H_

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "devices/bus/bus.h"
#include "devices/legacy/power_control.h"

namespace vmm {

// A minimal PS/2 controller (Intel 8042): no keyboard or mouse attached. It
// exists for the reset line: command 0xFE on the command port pulses the
// CPU reset, which is how Linux reboots a PC by default (reboot=k). Ports:
// data 0x60, status/command 0x64. The two ports are separate bus devices
// because 0x61-0x63 belong to others.
class I8042 {
 public:
  static constexpr uint16_t kDataPort = 0x60;
  static constexpr uint16_t kCommandPort = 0x64;
  static constexpr uint8_t kCmdReadCommandByte = 0x20;
  static constexpr uint8_t kCmdWriteCommandByte = 0x60;
  static constexpr uint8_t kCmdPulseReset = 0xfe;

  explicit I8042(PowerActionHandler handler);

  std::shared_ptr<BusDevice> data_port() const { return data_; }
  std::shared_ptr<BusDevice> command_port() const { return command_; }

 private:
  class DataPort;
  class CommandPort;
  friend class DataPort;
  friend class CommandPort;

  uint8_t ReadData();
  void WriteData(uint8_t value);
  uint8_t ReadStatus();
  void WriteCommand(uint8_t value);

  const PowerActionHandler handler_;
  absl::Mutex mu_;
  // The controller command byte (0x20/0x60): interrupts off, system flag set.
  uint8_t command_byte_ ABSL_GUARDED_BY(mu_) = 0x04;
  bool output_full_ ABSL_GUARDED_BY(mu_) = false;
  uint8_t output_ ABSL_GUARDED_BY(mu_) = 0;
  bool expect_command_byte_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<BusDevice> data_;
  std::shared_ptr<BusDevice> command_;
};

}  // namespace vmm

#endif  // DEVICES_LEGACY_I8042_H_
