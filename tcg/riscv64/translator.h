#ifndef TCG_RISCV64_TRANSLATOR_H_
#define TCG_RISCV64_TRANSLATOR_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "tcg/ir/builder.h"
#include "tcg/runtime/executor.h"
#include "tcg/riscv64/cpu_state.h"
#include "tcg/riscv64/decode.h"

namespace tcg::riscv64 {

// State of one block translation, handed to the instruction handlers.
class Translator {
 public:
  explicit Translator(ir::Block* block) : block_(block), ir_(block) {}

  ir::Builder& ir() { return ir_; }
  // Translation flags (csr.h: privilege, TVM/TW/TSR) the block is keyed by.
  uint32_t flags() const { return block_->flags; }

  // x0 reads as constant zero and ignores writes (unprivileged spec 2.1).
  ir::Value X(int reg) {
    if (reg == 0) return ir::Value::I64(0);
    return ir_.GetReg64(ir::Value::Imm(XOffset(reg)));
  }
  void SetX(int reg, ir::Value v) {
    if (reg != 0) ir_.SetReg64(ir::Value::Imm(XOffset(reg)), v);
  }
  ir::Value Imm64(int64_t v) { return ir::Value::I64(static_cast<uint64_t>(v)); }

  // Ends the block after the current instruction.
  void End(const ir::Terminal& t) { ir_.SetTerminal(t); }
  bool ended() const { return block_->terminal.kind != ir::Terminal::Kind::kNone; }

 private:
  ir::Block* block_;
  ir::Builder ir_;
};

struct TranslateOptions {
  int max_insns = 64;    // guest instructions per block
  bool optimize = true;  // run the tcg/opt pipeline on each block
};

// Translates guest code at `pc` into one block: up to max_insns
// instructions, stopping after any control transfer, at a page boundary, or
// at an instruction that must exit (ECALL, FENCE.I, CSR access...).
// Undecodable or unfetchable code becomes an exception exit, never an error.
absl::StatusOr<ir::Block> TranslateBlock(uint64_t pc, uint32_t flags, CodeFetcher& fetch,
                                         const TranslateOptions& options = {});

}  // namespace tcg::riscv64

#endif  // TCG_RISCV64_TRANSLATOR_H_
