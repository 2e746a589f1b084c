#ifndef TCG_IR_VERIFY_H_
#define TCG_IR_VERIFY_H_

#include "absl/status/status.h"
#include "tcg/ir/ir.h"

namespace tcg::ir {

// Checks the block is well formed: operand counts and types match
// opcodes.inc, immediate slots hold constants, every value is defined by an
// earlier non-void instruction, and the terminal is set and typed.
absl::Status Verify(const Block& block);

}  // namespace tcg::ir

#endif  // TCG_IR_VERIFY_H_
