#ifndef TCG_IR_PURE_OPS_H_
#define TCG_IR_PURE_OPS_H_

#include <cstdint>

#include "tcg/ir/opcode.h"

namespace tcg::ir {

// Evaluates a kPure opcode on operand bits (immediates included, in slot
// order). This is the one definition of pure-op semantics: the interpreter
// executes with it, the constant folder folds with it, and differential tests
// hold native backends to it. I32 operands/results are zero-extended.
// Returns false if `op` is not pure.
bool EvalPure(Opcode op, const uint64_t args[kMaxArgs], uint64_t* result);

}  // namespace tcg::ir

#endif  // TCG_IR_PURE_OPS_H_
