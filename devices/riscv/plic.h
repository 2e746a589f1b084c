#ifndef DEVICES_RISCV_PLIC_H_
#define DEVICES_RISCV_PLIC_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "devices/bus/bus.h"
#include "devices/irq/interrupt_line.h"
#include "devices/riscv/hart_pins.h"

namespace vmm {

// RISC-V Platform-Level Interrupt Controller (riscv-plic-spec 1.0.0, the
// SiFive layout QEMU's `virt` uses): priorities at +0x0, pending bits at
// +0x1000, per-context enables at +0x2000 + 0x80*ctx, per-context threshold
// and claim/complete at +0x200000 + 0x1000*ctx. Context 2N is hart N M-mode
// (drives MEIP), 2N+1 is S-mode (drives SEIP). Sources are level-triggered
// (the gateway re-pends a still-high source on completion).
class Plic : public BusDevice, public std::enable_shared_from_this<Plic> {
 public:
  static constexpr uint64_t kSize = 0x600000;
  static constexpr uint32_t kMaxSources = 1024;  // Source 0 is "no interrupt".
  static constexpr uint32_t kMaxPriority = 7;    // QEMU virt: 3 priority bits.
  static constexpr uint64_t kPending = 0x1000;
  static constexpr uint64_t kEnableBase = 0x2000, kEnableStride = 0x80;
  static constexpr uint64_t kContextBase = 0x200000, kContextStride = 0x1000;

  // `num_sources` counts source 0 (QEMU virt: 96, so riscv,ndev = 95). One
  // pins entry per hart; meip and seip must be set.
  static absl::StatusOr<std::shared_ptr<Plic>> Create(uint32_t num_sources,
                                                      std::vector<HartInterruptPins> pins);

  absl::string_view name() const override { return "riscv-plic"; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

  // The input wire for `source` (1..num_sources-1), for a device's IRQ. It
  // keeps the PLIC alive.
  absl::StatusOr<std::shared_ptr<InterruptLine>> Input(uint32_t source);

  void SetSourceLevel(uint32_t source, bool high);

 private:
  class SourceLine;
  Plic(uint32_t num_sources, std::vector<HartInterruptPins> pins);
  uint32_t ReadReg(uint64_t offset) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteReg(uint64_t offset, uint32_t value) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Enabled(size_t ctx, uint32_t src) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The source a claim on `ctx` would return (0 if none).
  uint32_t Best(size_t ctx) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint32_t Claim(size_t ctx) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Complete(size_t ctx, uint32_t src) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateOutputs() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  InterruptLine& ContextLine(size_t ctx) const;

  const uint32_t num_sources_;
  const size_t num_contexts_;
  const size_t words_;  // 32-bit words of source bits.
  const std::vector<HartInterruptPins> pins_;
  absl::Mutex mu_;
  std::vector<uint32_t> priority_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> level_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> pending_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> in_service_ ABSL_GUARDED_BY(mu_);  // Claimed, not completed.
  std::vector<uint32_t> enable_ ABSL_GUARDED_BY(mu_);  // num_contexts_ * words_.
  std::vector<uint32_t> threshold_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> output_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vmm

#endif  // DEVICES_RISCV_PLIC_H_
