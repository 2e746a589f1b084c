#include "devices/legacy/uart16550.h"

#include <utility>

namespace vmm {
namespace {

// IER bits.
constexpr uint8_t kIerRxData = 0x01;
constexpr uint8_t kIerThre = 0x02;
constexpr uint8_t kIerLineStatus = 0x04;
constexpr uint8_t kIerModemStatus = 0x08;

// IIR values (bit 0 clear = interrupt pending), in priority order.
constexpr uint8_t kIirNone = 0x01;
constexpr uint8_t kIirLineStatus = 0x06;
constexpr uint8_t kIirRxData = 0x04;
constexpr uint8_t kIirRxTimeout = 0x0c;
constexpr uint8_t kIirThre = 0x02;
constexpr uint8_t kIirModemStatus = 0x00;
constexpr uint8_t kIirFifoEnabled = 0xc0;

// FCR bits.
constexpr uint8_t kFcrEnable = 0x01;
constexpr uint8_t kFcrClearRx = 0x02;

constexpr uint8_t kLcrDlab = 0x80;

// MCR bits.
constexpr uint8_t kMcrDtr = 0x01;
constexpr uint8_t kMcrRts = 0x02;
constexpr uint8_t kMcrOut1 = 0x04;
constexpr uint8_t kMcrOut2 = 0x08;
constexpr uint8_t kMcrLoop = 0x10;

// LSR bits.
constexpr uint8_t kLsrDataReady = 0x01;
constexpr uint8_t kLsrOverrun = 0x02;
constexpr uint8_t kLsrThre = 0x20;
constexpr uint8_t kLsrTemt = 0x40;

// MSR bits.
constexpr uint8_t kMsrCts = 0x10;
constexpr uint8_t kMsrDsr = 0x20;
constexpr uint8_t kMsrRi = 0x40;
constexpr uint8_t kMsrDcd = 0x80;

constexpr size_t kFifoSize = 16;

}  // namespace

Uart16550::Uart16550(std::shared_ptr<InterruptLine> irq, Output output)
    : irq_(std::move(irq)), output_(std::move(output)) {
  absl::MutexLock lock(&mu_);
  last_msr_ = ComputeMsr();
}

size_t Uart16550::FifoCapacity() const { return (fcr_ & kFcrEnable) ? kFifoSize : 1; }

void Uart16550::RefillFifo() {
  while (rx_fifo_.size() < FifoCapacity() && !backlog_.empty()) {
    rx_fifo_.push_back(backlog_.front());
    backlog_.pop_front();
  }
}

uint8_t Uart16550::ComputeMsr() const {
  if (mcr_ & kMcrLoop) {
    // Loopback: the modem inputs are wired to the modem outputs (datasheet,
    // MCR bit 4).
    uint8_t msr = 0;
    if (mcr_ & kMcrRts) msr |= kMsrCts;
    if (mcr_ & kMcrDtr) msr |= kMsrDsr;
    if (mcr_ & kMcrOut1) msr |= kMsrRi;
    if (mcr_ & kMcrOut2) msr |= kMsrDcd;
    return msr;
  }
  // A permanently connected terminal.
  return kMsrDcd | kMsrDsr | kMsrCts;
}

uint8_t Uart16550::ComputeIir() const {
  uint8_t fifo_bits = (fcr_ & kFcrEnable) ? kIirFifoEnabled : 0;
  if ((ier_ & kIerLineStatus) && overrun_) return kIirLineStatus | fifo_bits;
  if ((ier_ & kIerRxData) && !rx_fifo_.empty()) {
    // Below the trigger level the 16550 reports a character timeout once the
    // data has sat for 4 character times; with instantaneous time here we
    // report it right away.
    static constexpr size_t kTrigger[4] = {1, 4, 8, 14};
    bool below = (fcr_ & kFcrEnable) && rx_fifo_.size() < kTrigger[fcr_ >> 6];
    return (below ? kIirRxTimeout : kIirRxData) | fifo_bits;
  }
  if ((ier_ & kIerThre) && thre_pending_) return kIirThre | fifo_bits;
  if ((ier_ & kIerModemStatus) && msr_delta_pending_) return kIirModemStatus | fifo_bits;
  return kIirNone | fifo_bits;
}

void Uart16550::UpdateIrq() {
  bool level = (ComputeIir() & kIirNone) == 0;
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_) irq_->SetLevel(level);
}

uint8_t Uart16550::ReadReg(uint8_t reg) {
  switch (reg) {
    case kRbrThrDll: {
      if (lcr_ & kLcrDlab) return dll_;
      if (rx_fifo_.empty()) return 0;
      uint8_t byte = rx_fifo_.front();
      rx_fifo_.pop_front();
      RefillFifo();
      return byte;
    }
    case kIerDlm:
      return (lcr_ & kLcrDlab) ? dlm_ : ier_;
    case kIirFcr: {
      uint8_t iir = ComputeIir();
      // Reading IIR acknowledges a THRE interrupt it reports.
      if ((iir & 0x0f) == kIirThre) thre_pending_ = false;
      return iir;
    }
    case kLcr:
      return lcr_;
    case kMcr:
      return mcr_;
    case kLsr: {
      uint8_t lsr = kLsrThre | kLsrTemt;
      if (!rx_fifo_.empty()) lsr |= kLsrDataReady;
      if (overrun_) lsr |= kLsrOverrun;
      overrun_ = false;  // Error bits clear on read.
      return lsr;
    }
    case kMsr: {
      uint8_t msr = ComputeMsr();
      // Delta bits (0-3): what changed since the last read.
      uint8_t delta = ((msr ^ last_msr_) >> 4) & 0x0b;
      if ((last_msr_ & kMsrRi) && !(msr & kMsrRi)) delta |= 0x04;  // TERI: trailing edge.
      last_msr_ = msr;
      msr_delta_pending_ = false;
      return msr | delta;
    }
    case kScr:
      return scr_;
  }
  return 0xff;
}

bool Uart16550::WriteReg(uint8_t reg, uint8_t value) {
  switch (reg) {
    case kRbrThrDll:
      if (lcr_ & kLcrDlab) {
        dll_ = value;
        return false;
      }
      thre_pending_ = true;  // Sent instantly: THR is empty again.
      if (mcr_ & kMcrLoop) {
        if (rx_fifo_.size() < FifoCapacity()) {
          rx_fifo_.push_back(value);
        } else {
          overrun_ = true;
        }
        return false;
      }
      return true;
    case kIerDlm:
      if (lcr_ & kLcrDlab) {
        dlm_ = value;
      } else {
        uint8_t old = ier_;
        ier_ = value & 0x0f;
        // Enabling ETBEI with THR empty raises THRE at once.
        if ((ier_ & kIerThre) && !(old & kIerThre)) thre_pending_ = true;
      }
      return false;
    case kIirFcr: {
      bool was_enabled = fcr_ & kFcrEnable;
      // Changing the FIFO enable clears both FIFOs.
      if ((value & kFcrClearRx) || was_enabled != bool(value & kFcrEnable)) rx_fifo_.clear();
      fcr_ = value & 0xc9;  // Keep enable, DMA mode and trigger bits.
      RefillFifo();
      return false;
    }
    case kLcr:
      lcr_ = value;
      return false;
    case kMcr: {
      mcr_ = value & 0x1f;
      uint8_t msr = ComputeMsr();
      if (msr != last_msr_) msr_delta_pending_ = true;
      return false;
    }
    case kLsr:
    case kMsr:
      return false;  // Read-only (factory test writes are ignored).
    case kScr:
      scr_ = value;
      return false;
  }
  return false;
}

void Uart16550::Read(uint64_t offset, absl::Span<uint8_t> data) {
  absl::MutexLock lock(&mu_);
  // Byte registers; a wider access reads consecutive registers.
  for (size_t i = 0; i < data.size(); ++i) {
    uint64_t reg = offset + i;
    data[i] = reg < 8 ? ReadReg(static_cast<uint8_t>(reg)) : 0xff;
  }
  UpdateIrq();
}

void Uart16550::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  std::string out;
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < data.size(); ++i) {
      uint64_t reg = offset + i;
      if (reg < 8 && WriteReg(static_cast<uint8_t>(reg), data[i])) out.push_back(data[i]);
    }
    UpdateIrq();
  }
  // Outside the lock: the callback may block briefly on I/O.
  if (!out.empty() && output_) output_(out);
}

void Uart16550::ReceiveInput(absl::string_view bytes) {
  absl::MutexLock lock(&mu_);
  for (char c : bytes) {
    if (backlog_.size() >= kMaxBacklog) break;
    backlog_.push_back(static_cast<uint8_t>(c));
  }
  RefillFifo();
  UpdateIrq();
}

}  // namespace vmm
