#ifndef DEVICES_RISCV_CLINT_H_
#define DEVICES_RISCV_CLINT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "devices/bus/bus.h"
#include "devices/riscv/hart_pins.h"

namespace vmm {

// SiFive CLINT / RISC-V ACLINT MSWI + MTIMER at the `virt` layout (ACLINT
// spec v1.0: MSWI at +0x0, MTIMER mtimecmp at +0x4000, mtime at +0xbff8).
// mtime ticks at 10 MHz, derived from a host monotonic clock minus the time
// the VM spent paused, so a paused VM sees no time pass. MTIP is a level:
// mtime >= mtimecmp[hart]. Since mtime advances without any access, the CPU
// backend calls UpdateTimers() when it samples interrupts and sleeps in WFI
// until NextDeadlineNs().
class Clint : public BusDevice {
 public:
  static constexpr uint64_t kSize = 0x10000;
  static constexpr uint64_t kMsipBase = 0x0;
  static constexpr uint64_t kMtimecmpBase = 0x4000;
  static constexpr uint64_t kMtime = 0xbff8;
  static constexpr uint64_t kTimebaseHz = 10000000;
  static constexpr size_t kMaxHarts = 4095;  // ACLINT MSWI limit.

  // Host monotonic time in nanoseconds.
  using Clock = std::function<uint64_t()>;
  static uint64_t MonotonicNs();

  // One pins entry per hart (msip and mtip must be set).
  static absl::StatusOr<std::unique_ptr<Clint>> Create(std::vector<HartInterruptPins> pins,
                                                        Clock clock = MonotonicNs);

  absl::string_view name() const override { return "riscv-clint"; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

  // Current mtime.
  uint64_t Mtime();
  // Recomputes every hart's MTIP level against the current mtime.
  void UpdateTimers();
  // Host monotonic time (ns) at which the earliest mtimecmp expires: now if
  // one already has (do not sleep), saturating at UINT64_MAX for far-away
  // compares; nullopt while paused (time does not move).
  std::optional<uint64_t> NextDeadlineNs();
  // Same for one hart (for a hart sleeping in WFI).
  std::optional<uint64_t> NextDeadlineNs(size_t hart);

  // Freeze and resume guest time (VM pause/resume).
  void Pause();
  void Resume();

 private:
  Clint(std::vector<HartInterruptPins> pins, Clock clock);
  uint64_t MtimeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateLocked(uint64_t now_mtime) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<uint64_t> DeadlineLocked(size_t hart, uint64_t now_mtime)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t NowNsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::vector<HartInterruptPins> pins_;
  const Clock clock_;
  absl::Mutex mu_;
  // mtime = base_mtime_ + (host_ns - base_ns_) / 100, modulo 2^64 (it
  // wraps like the hardware counter). Guest writes to mtime rebase both;
  // resuming from a pause moves base_ns_ forward by the paused time.
  uint64_t base_mtime_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t base_ns_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<uint64_t> paused_at_ns_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> msip_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> mtimecmp_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> mtip_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vmm

#endif  // DEVICES_RISCV_CLINT_H_
