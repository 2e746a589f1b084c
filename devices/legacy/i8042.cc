#include "devices/legacy/i8042.h"

#include <algorithm>

namespace vmm {

class I8042::DataPort : public BusDevice {
 public:
  explicit DataPort(I8042* owner) : owner_(owner) {}
  absl::string_view name() const override { return "i8042-data"; }
  void Read(uint64_t, absl::Span<uint8_t> data) override {
    std::fill(data.begin(), data.end(), 0);
    if (!data.empty()) data[0] = owner_->ReadData();
  }
  void Write(uint64_t, absl::Span<const uint8_t> data) override {
    if (!data.empty()) owner_->WriteData(data[0]);
  }

 private:
  I8042* owner_;
};

class I8042::CommandPort : public BusDevice {
 public:
  explicit CommandPort(I8042* owner) : owner_(owner) {}
  absl::string_view name() const override { return "i8042-command"; }
  void Read(uint64_t, absl::Span<uint8_t> data) override {
    std::fill(data.begin(), data.end(), 0);
    if (!data.empty()) data[0] = owner_->ReadStatus();
  }
  void Write(uint64_t, absl::Span<const uint8_t> data) override {
    if (!data.empty()) owner_->WriteCommand(data[0]);
  }

 private:
  I8042* owner_;
};

// The port objects point back at the I8042; they are only handed to a bus
// whose lifetime the machine ties to the I8042's.
I8042::I8042(PowerActionHandler handler)
    : handler_(std::move(handler)),
      data_(std::make_shared<DataPort>(this)),
      command_(std::make_shared<CommandPort>(this)) {}

uint8_t I8042::ReadData() {
  absl::MutexLock lock(&mu_);
  output_full_ = false;
  return output_;
}

void I8042::WriteData(uint8_t value) {
  absl::MutexLock lock(&mu_);
  if (expect_command_byte_) {
    command_byte_ = value;
    expect_command_byte_ = false;
  }
  // Bytes for a keyboard go nowhere: none is attached.
}

uint8_t I8042::ReadStatus() {
  absl::MutexLock lock(&mu_);
  // Bit 0: output buffer full; bit 2: system flag (POST passed).
  return (output_full_ ? 0x01 : 0x00) | 0x04;
}

void I8042::WriteCommand(uint8_t value) {
  bool reset = false;
  {
    absl::MutexLock lock(&mu_);
    switch (value) {
      case kCmdReadCommandByte:
        output_ = command_byte_;
        output_full_ = true;
        break;
      case kCmdWriteCommandByte:
        expect_command_byte_ = true;
        break;
      case kCmdPulseReset:
        reset = true;
        break;
      default:
        break;
    }
  }
  if (reset && handler_) handler_(GuestPowerAction::kReboot);
}

}  // namespace vmm
