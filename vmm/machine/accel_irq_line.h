#ifndef VMM_MACHINE_ACCEL_IRQ_LINE_H_
#define VMM_MACHINE_ACCEL_IRQ_LINE_H_

#include <cstdint>

#include "absl/strings/str_format.h"
#include "accel/accelerator.h"
#include "devices/irq/interrupt_line.h"
#include "vmm/base/log.h"

namespace vmm {

// An InterruptLine wired to an accelerator interrupt input (on KVM x86: a
// GSI of the in-kernel PIC + IOAPIC via KVM_IRQ_LINE).
class AccelIrqLine : public InterruptLine {
 public:
  AccelIrqLine(AcceleratorVm* vm, uint32_t gsi) : vm_(vm), gsi_(gsi) {}

  void SetLevel(bool high) override {
    absl::Status status = vm_->SetIrqLine(gsi_, high);
    if (!status.ok()) {
      Log(LogLevel::kError, "machine", "irq_line_failed",
          {{"gsi", absl::StrFormat("%d", gsi_)}, {"error", std::string(status.message())}});
    }
  }

 private:
  AcceleratorVm* const vm_;
  const uint32_t gsi_;
};

}  // namespace vmm

#endif  // VMM_MACHINE_ACCEL_IRQ_LINE_H_
