#ifndef TCG_INTERP_INTERPRETER_H_
#define TCG_INTERP_INTERPRETER_H_

#include "tcg/runtime/executor.h"

namespace tcg {

// Portable backend: executes IR directly. Slow, but defined by the same
// semantics tables as everything else (pure_ops.cc, SoftMmu), so it is the
// oracle that native backends are tested against. Stateless and
// thread-safe: one instance can serve every vCPU.
class Interpreter : public Backend {
 public:
  // Verifies the block (a malformed block is a frontend bug).
  absl::Status Compile(TranslationBlock& tb) override;
  ExitInfo Execute(const TranslationBlock& tb, ExecContext& ctx) override;

  // Runs a bare block (no TranslationBlock wrapper), for tests and tools.
  static ExitInfo Run(const ir::Block& block, ExecContext& ctx);
};

// Executes a memory barrier with orderings `orderings` (ir::Ordering bits)
// using C++ fences; shared with helpers that need the same mapping.
void HostFence(uint8_t orderings);

}  // namespace tcg

#endif  // TCG_INTERP_INTERPRETER_H_
