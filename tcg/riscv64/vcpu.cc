#include "tcg/riscv64/vcpu.h"

#include "tcg/opt/passes.h"
#include "tcg/riscv64/csr.h"

namespace tcg::riscv64 {

Vcpu::Vcpu(TbCache* cache, Backend* backend, GuestMemoryInterface* memory, uint64_t hartid,
           TranslateOptions options)
    : mmu_(memory, cache),
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
        cause = exit.fault.misaligned ? kCauseLoadMisaligned : kCauseLoadAccessFault;
        break;
      case MemAccess::kStore:
        cause = exit.fault.misaligned ? kCauseStoreMisaligned : kCauseStoreAccessFault;
        break;
      case MemAccess::kFetch:
        cause = exit.fault.misaligned ? kCauseInsnMisaligned : kCauseInsnAccessFault;
        break;
    }
  }
  state_.pc = exit.pc;
  EnterTrap(state_, cause, tval);
  ++traps_;
}

absl::StatusOr<Vcpu::StopReason> Vcpu::Run(uint64_t max_blocks) {
  uint64_t ran = 0;
  while (ran < max_blocks) {
    const uint64_t before = executor_.blocks_executed();
    absl::StatusOr<ExitInfo> exit = executor_.Run(state_.priv, max_blocks - ran);
    if (!exit.ok()) return exit.status();
    ran += executor_.blocks_executed() - before;
    switch (exit->reason) {
      case ir::ExitReason::kNone:
        return ran >= max_blocks ? StopReason::kBudgetExhausted : StopReason::kStopRequested;
      case ir::ExitReason::kException:
      case ir::ExitReason::kMemFault:
        TakeTrap(*exit);
        break;
      case ir::ExitReason::kFlushCode:
        // FENCE.I: drop every translation (other harts refetch too, which
        // is conservative but correct).
        cache_->Flush();
        break;
      case ir::ExitReason::kHalt:
        return StopReason::kWaitForInterrupt;
      case ir::ExitReason::kHelper:
        return StopReason::kStopRequested;
    }
  }
  return StopReason::kBudgetExhausted;
}

}  // namespace tcg::riscv64
