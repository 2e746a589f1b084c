#include "tcg/riscv64/vcpu.h"

#include <algorithm>

#include "tcg/opt/passes.h"
#include "tcg/riscv64/csr.h"

namespace tcg::riscv64 {

Vcpu::Vcpu(TbCache* cache, Backend* backend, GuestMemoryInterface* memory, uint64_t hartid,
           TranslateOptions options)
    : walker_(&state_, memory),
      mmu_(memory, cache),
      cache_(cache),
      executor_(
          cache, backend,
          [options](uint64_t pc, uint32_t flags, CodeFetcher& fetch) {
            absl::StatusOr<ir::Block> block = TranslateBlock(pc, flags, fetch, options);
            if (block.ok() && options.optimize) opt::Optimize(*block);
            return block;
          },
          &ctx_) {
  state_.mhartid = hartid;
  ctx_.state = reinterpret_cast<uint8_t*>(&state_);
  ctx_.pc_offset = kPcOffset;
  mmu_.SetTranslator(&walker_);
  ctx_.mmu = &mmu_;
  ctx_.tlb = mmu_.tlb_base();
  ctx_.frontend = this;
}

void Vcpu::TakeTrap(const ExitInfo& exit) {
  uint64_t cause = exit.code, tval = exit.aux;
  if (exit.reason == ir::ExitReason::kMemFault) {
    tval = exit.fault.addr;
    switch (exit.fault.access) {
      case MemAccess::kLoad:
        if (exit.fault.page_fault) {
          cause = kCauseLoadPageFault;
          break;
        }
        cause = exit.fault.misaligned ? kCauseLoadMisaligned : kCauseLoadAccessFault;
        break;
      case MemAccess::kStore:
        if (exit.fault.page_fault) {
          cause = kCauseStorePageFault;
          break;
        }
        cause = exit.fault.misaligned ? kCauseStoreMisaligned : kCauseStoreAccessFault;
        break;
      case MemAccess::kFetch:
        if (exit.fault.page_fault) {
          cause = kCauseInsnPageFault;
          break;
        }
        cause = exit.fault.misaligned ? kCauseInsnMisaligned : kCauseInsnAccessFault;
        break;
    }
  }
  state_.pc = exit.pc;
  Trap(cause, tval);
}

void Vcpu::Trap(uint64_t cause, uint64_t tval) {
  // The TLB bank follows the new privilege (Run). With MPRV set, M-mode
  // entries were filled under MPP's translation, and the trap changes MPP.
  if (state_.mstatus & kMstatusMprv) tlb_flush_ = true;
  EnterTrap(state_, cause, tval);
  ++traps_;
}

void Vcpu::RequestStop() {
  stop_requested_.store(true, std::memory_order_release);
  executor_.RequestStop();
  absl::MutexLock lock(&wait_mu_);
  wait_cv_.SignalAll();
}

void Vcpu::SetInterruptPin(uint64_t mask, bool level) {
  mask &= kAllInterrupts;
  if (level) {
    pins_.fetch_or(mask, std::memory_order_acq_rel);
    pin_raises_.fetch_add(1, std::memory_order_acq_rel);
  } else {
    pins_.fetch_and(~mask, std::memory_order_acq_rel);
  }
  executor_.RequestStop();  // recheck at the next block boundary
  absl::MutexLock lock(&wait_mu_);
  wait_cv_.SignalAll();
}

bool Vcpu::WaitForInterrupt(absl::Time deadline) {
  absl::MutexLock lock(&wait_mu_);
  if (poll_wfi_) {
    poll_wfi_ = false;
    const absl::Time until = std::min(deadline, absl::Now() + kWfiPollBackoff);
    // Any pin raise since Run saw the WFI ends the wait.
    while (pin_raises_.load(std::memory_order_acquire) == last_wfi_pin_raises_ &&
           !stop_requested_.load(std::memory_order_acquire)) {
      if (wait_cv_.WaitWithDeadline(&wait_mu_, until)) break;  // timed out
    }
    return WfiShouldWake(state_, pins());
  }
  while (!WfiShouldWake(state_, pins()) && !stop_requested_.load(std::memory_order_acquire)) {
    if (wait_cv_.WaitWithDeadline(&wait_mu_, deadline)) break;  // timed out
  }
  return WfiShouldWake(state_, pins());
}

absl::StatusOr<Vcpu::StopReason> Vcpu::Run(uint64_t max_blocks) {
  poll_wfi_ = false;  // Only for the WaitForInterrupt right after a polling WFI.
  uint64_t ran = 0;
  while (ran < max_blocks) {
    if (stop_requested_.exchange(false, std::memory_order_acq_rel)) {
      return StopReason::kStopRequested;
    }
    // Interrupts are taken at block boundaries; the pins and every CSR
    // write or xRET that could unmask one kick the executor to here.
    if (const uint64_t irq = PendingInterrupt(state_, pins()); irq != 0) Trap(irq, 0);
    if (tlb_flush_) {
      tlb_flush_ = false;
      mmu_.Flush();
    }
    // Translation depends on privilege: one TLB bank per mode.
    mmu_.SelectBank(state_.priv);
    ctx_.tlb = mmu_.tlb_base();
    const uint64_t before = executor_.blocks_executed();
    absl::StatusOr<ExitInfo> exit = executor_.Run(TranslationFlags(state_), max_blocks - ran);
    if (!exit.ok()) return exit.status();
    ran += executor_.blocks_executed() - before;
    switch (exit->reason) {
      case ir::ExitReason::kNone:
        break;  // budget, kick or stop: the loop head decides
      case ir::ExitReason::kException:
      case ir::ExitReason::kMemFault:
        TakeTrap(*exit);
        break;
      case ir::ExitReason::kFlushCode:
        // FENCE.I: drop every translation whose bytes changed (stores by
        // harts already invalidated theirs; this catches device DMA).
        cache_->FlushChanged();
        break;
      case ir::ExitReason::kHalt: {
        // WFI completes at once if an interrupt is already pending
        // (privileged spec 3.3.3), unless the hart is polling with it
        // masked (kWfiPollBackoff).
        const uint64_t pending = (state_.mip | pins()) & state_.mie;
        if (pending == 0) return StopReason::kWaitForInterrupt;
        const uint64_t raises = pin_raises_.load(std::memory_order_acquire);
        const bool polling = pending == last_wfi_pending_ && traps_ == last_wfi_traps_ &&
                             raises == last_wfi_pin_raises_;
        last_wfi_pending_ = pending;
        last_wfi_traps_ = traps_;
        last_wfi_pin_raises_ = raises;
        if (polling) {
          poll_wfi_ = true;
          return StopReason::kWaitForInterrupt;
        }
        break;
      }
      case ir::ExitReason::kHelper:
        return StopReason::kStopRequested;
    }
  }
  return StopReason::kBudgetExhausted;
}

}  // namespace tcg::riscv64
