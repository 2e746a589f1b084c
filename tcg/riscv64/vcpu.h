#ifndef TCG_RISCV64_VCPU_H_
#define TCG_RISCV64_VCPU_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "tcg/riscv64/cpu_state.h"
#include "tcg/riscv64/translator.h"
#include "tcg/runtime/executor.h"
#include "tcg/runtime/softmmu.h"

namespace tcg::riscv64 {

// One RV64 hart on the TCG: its architectural state, its TLB, and the
// dispatch loop, with guest exceptions turned into M-mode traps. Run it on
// one thread; RequestStop() may be called from any thread.
class Vcpu {
 public:
  enum class StopReason { kStopRequested, kWaitForInterrupt, kBudgetExhausted };

  Vcpu(TbCache* cache, Backend* backend, GuestMemoryInterface* memory, uint64_t hartid,
       TranslateOptions options = {});

  CpuState& state() { return state_; }
  const CpuState& state() const { return state_; }

  // Runs until stopped, WFI, or `max_blocks` blocks have executed.
  absl::StatusOr<StopReason> Run(uint64_t max_blocks);
  void RequestStop() { executor_.RequestStop(); }

  uint64_t insns_retired() const { return ctx_.insns_retired; }
  uint64_t traps_taken() const { return traps_; }

 private:
  void TakeTrap(const ExitInfo& exit);

  CpuState state_;
  SoftMmu mmu_;
  ExecContext ctx_;
  TbCache* cache_;
  Executor executor_;
  uint64_t traps_ = 0;
};

}  // namespace tcg::riscv64

#endif  // TCG_RISCV64_VCPU_H_
