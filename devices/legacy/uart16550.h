#ifndef DEVICES_LEGACY_UART16550_H_
#define DEVICES_LEGACY_UART16550_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "devices/bus/bus.h"
#include "devices/irq/interrupt_line.h"

namespace vmm {

// A National Semiconductor PC16550D UART (the "16550A" every PC OS expects),
// 8 registers at the base port. Transmission is instantaneous: THR is always
// empty again by the time the guest can look, so THRE/TEMT stay set and a THRE
// interrupt (when enabled) is re-raised after every write. Received bytes
// come from the host (ReceiveInput) into a 16-byte RX FIFO (1 byte when FIFOs
// are disabled), with a bounded host-side backlog behind it so typed input is
// not lost while the guest is slow. The interrupt line follows IIR: high while
// any enabled interrupt is pending. (On a PC board MCR.OUT2 gates the IRQ; we
// do not model that gate, as QEMU does not either.)
class Uart16550 : public BusDevice {
 public:
  using Output = std::function<void(absl::string_view bytes)>;

  // Bytes beyond this many, queued behind the RX FIFO, are dropped.
  static constexpr size_t kMaxBacklog = 64 * 1024;

  Uart16550(std::shared_ptr<InterruptLine> irq, Output output);

  absl::string_view name() const override { return "uart16550"; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

  // Host console input. Thread-safe.
  void ReceiveInput(absl::string_view bytes);

  // Register offsets (PC16550D datasheet, table II).
  enum : uint8_t {
    kRbrThrDll = 0,
    kIerDlm = 1,
    kIirFcr = 2,
    kLcr = 3,
    kMcr = 4,
    kLsr = 5,
    kMsr = 6,
    kScr = 7,
  };

 private:
  uint8_t ReadReg(uint8_t reg) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns true if `value` is to be transmitted to the host.
  bool WriteReg(uint8_t reg, uint8_t value) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint8_t ComputeIir() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint8_t ComputeMsr() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t FifoCapacity() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RefillFifo() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateIrq() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<InterruptLine> irq_;
  const Output output_;

  absl::Mutex mu_;
  uint8_t dll_ ABSL_GUARDED_BY(mu_) = 0x0c;  // 9600 baud, a BIOS default.
  uint8_t dlm_ ABSL_GUARDED_BY(mu_) = 0;
  uint8_t ier_ ABSL_GUARDED_BY(mu_) = 0;
  uint8_t fcr_ ABSL_GUARDED_BY(mu_) = 0;
  uint8_t lcr_ ABSL_GUARDED_BY(mu_) = 0;
  uint8_t mcr_ ABSL_GUARDED_BY(mu_) = 0;
  uint8_t scr_ ABSL_GUARDED_BY(mu_) = 0;
  bool overrun_ ABSL_GUARDED_BY(mu_) = false;
  // THRE interrupt pending: set when THR becomes empty (always right after a
  // write here) or ETBEI is enabled; cleared by reading IIR while it is the
  // reported source, or by writing THR (§ "Interrupt Identification").
  bool thre_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool msr_delta_pending_ ABSL_GUARDED_BY(mu_) = false;
  uint8_t last_msr_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<uint8_t> rx_fifo_ ABSL_GUARDED_BY(mu_);
  std::deque<uint8_t> backlog_ ABSL_GUARDED_BY(mu_);
  bool irq_level_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace vmm

#endif  // DEVICES_LEGACY_UART16550_H_
