#ifndef DEVICES_IRQ_INTERRUPT_LINE_H_
#define DEVICES_IRQ_INTERRUPT_LINE_H_

#include <cstdint>
#include <mutex>
#include <vector>

namespace vmm {

// A wire from a device to an interrupt controller. The device does not know
// what is on the other end: the machine wires it (KVM_IRQ_LINE on a GSI, an
// irqfd, or an emulated PLIC input). Implementations are thread-safe.
class InterruptLine {
 public:
  virtual ~InterruptLine() = default;

  // Drives the line level (level-triggered devices such as the 16550 keep
  // it high while an interrupt is pending).
  virtual void SetLevel(bool high) = 0;

  // An edge: high then low.
  virtual void Pulse() {
    SetLevel(true);
    SetLevel(false);
  }
};

// A line that records what happened to it; for device unit tests.
class RecordingInterruptLine : public InterruptLine {
 public:
  void SetLevel(bool high) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (high && !level_) ++rising_edges_;
    level_ = high;
  }
  bool level() const {
    std::lock_guard<std::mutex> lock(mu_);
    return level_;
  }
  int rising_edges() const {
    std::lock_guard<std::mutex> lock(mu_);
    return rising_edges_;
  }

 private:
  mutable std::mutex mu_;
  bool level_ = false;
  int rising_edges_ = 0;
};

}  // namespace vmm

#endif  // DEVICES_IRQ_INTERRUPT_LINE_H_
