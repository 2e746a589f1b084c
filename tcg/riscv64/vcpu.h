#ifndef TCG_RISCV64_VCPU_H_
#define TCG_RISCV64_VCPU_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tcg/riscv64/cpu_state.h"
#include "tcg/riscv64/mmu.h"
#include "tcg/riscv64/translator.h"
#include "tcg/runtime/executor.h"
#include "tcg/runtime/softmmu.h"

namespace tcg::riscv64 {

// One RV64 hart on the TCG: its architectural state, its TLB, and the
// dispatch loop, with guest exceptions and interrupts turned into traps
// (delegated to S-mode per medeleg/mideleg). Run it on one thread;
// RequestStop() and SetInterruptPin() may be called from any thread.
//
// Interrupt pins: devices (CLINT, PLIC) drive MSIP/MTIP/MEIP/SEIP (and
// STIP for an SBI-less setup) with SetInterruptPin; the bits are ORed into
// mip. A pin change kicks the hart out of its dispatch loop, which checks
// for an enabled interrupt between blocks, and wakes a WaitForInterrupt.
class Vcpu {
 public:
  enum class StopReason { kStopRequested, kWaitForInterrupt, kBudgetExhausted };

  Vcpu(TbCache* cache, Backend* backend, GuestMemoryInterface* memory, uint64_t hartid,
       TranslateOptions options = {});

  CpuState& state() { return state_; }
  const CpuState& state() const { return state_; }

  // Runs until stopped, WFI with no interrupt pending, or `max_blocks`
  // blocks have executed. After kWaitForInterrupt the caller may
  // WaitForInterrupt() and Run() again (pc is past the WFI).
  absl::StatusOr<StopReason> Run(uint64_t max_blocks);
  void RequestStop();

  // Sets (level = true) or clears the device-driven pending bits `mask`
  // (a subset of kAllInterrupts, e.g. kMipMtip). Thread-safe.
  void SetInterruptPin(uint64_t mask, bool level);
  uint64_t pins() const { return pins_.load(std::memory_order_acquire); }

  // Blocks the calling (this hart's) thread without spinning until an
  // interrupt is pending and enabled in mie (spec 3.3.3: WFI ignores the
  // global enables), `deadline` passes (the timer device's next deadline),
  // or a stop is requested. True if an interrupt is pending.
  //
  // A polling WFI (Run returned kWaitForInterrupt although an interrupt is
  // pending, see kWfiPollBackoff) instead waits for the next pin raise, a
  // stop, `deadline` or kWfiPollBackoff, whichever comes first.
  bool WaitForInterrupt(absl::Time deadline);

  // WFI completes at once while an enabled interrupt is pending, even one
  // the hart cannot take (M-mode with mstatus.MIE clear). A hart that runs
  // such a WFI again with the same interrupts pending, no trap taken and no
  // pin raised in between is polling memory with the interrupt masked:
  // OpenSBI 1.1's sbi_hsm_hart_wait() does so from cold boot until Linux's
  // HSM hart_start, as the cold-boot IPI is still pending. Spinning there
  // takes a host CPU from the boot hart (2 harts on 2 host cores) and lets
  // the waiter see START_PENDING within nanoseconds, which on OpenSBI 1.1
  // is before hart_start has stored the entry address (it publishes the
  // state first): the hart then enters the kernel at its boot entry and
  // never comes online. Such a WFI sleeps until the next pin raise (the
  // hart_start IPI, sent after the stores; lowering writes, e.g. the PLIC's
  // on every UART interrupt, do not count), a stop, or this long at most:
  // long enough that a wake-up by the bound rarely falls in the window of a
  // boot hart descheduled between its two steps under host load.
  static constexpr absl::Duration kWfiPollBackoff = absl::Milliseconds(100);

  // For helpers on this hart's thread: leave the dispatch loop after the
  // current block (re-evaluate interrupts and translation flags), and
  // flush the TLB before the next one.
  void Kick() { executor_.RequestStop(); }
  void RequestTlbFlush() { tlb_flush_ = true; }

  // What the `time` CSR reads (the machine's mtime, e.g. the CLINT's);
  // unset: the retired-instruction count. Called on this hart's thread.
  void SetTimeSource(std::function<uint64_t()> time) { time_ = std::move(time); }
  uint64_t Time() const { return time_ ? time_() : ctx_.insns_retired; }

  uint64_t insns_retired() const { return ctx_.insns_retired; }
  uint64_t traps_taken() const { return traps_; }
  const Executor& executor() const { return executor_; }

 private:
  void TakeTrap(const ExitInfo& exit);
  void Trap(uint64_t cause, uint64_t tval);

  CpuState state_;
  PageWalker walker_;  // Sv39/Sv48 (mmu.h), the SoftMmu's translator
  SoftMmu mmu_;
  ExecContext ctx_;
  TbCache* cache_;
  Executor executor_;
  uint64_t traps_ = 0;
  std::function<uint64_t()> time_;
  bool tlb_flush_ = false;  // this hart's thread only
  std::atomic<uint64_t> pins_{0};
  // SetInterruptPin calls with level = true (changed or not): a raise.
  std::atomic<uint64_t> pin_raises_{0};
  // The last WFI that completed at once (this hart's thread only): what was
  // pending, and the trap and pin-raise counts then. poll_wfi_ is set when
  // Run returns kWaitForInterrupt for a polling WFI (kWfiPollBackoff).
  uint64_t last_wfi_pending_ = 0;
  uint64_t last_wfi_traps_ = ~uint64_t{0};
  uint64_t last_wfi_pin_raises_ = 0;
  bool poll_wfi_ = false;
  std::atomic<bool> stop_requested_{false};
  absl::Mutex wait_mu_;
  absl::CondVar wait_cv_;
};

}  // namespace tcg::riscv64

#endif  // TCG_RISCV64_VCPU_H_
