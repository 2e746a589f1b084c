#ifndef TCG_X86_64_REG_ALLOC_H_
#define TCG_X86_64_REG_ALLOC_H_

#include <cstdint>
#include <vector>

#include "tcg/ir/ir.h"
#include "tcg/x86_64/assembler.h"

namespace tcg::x86_64 {

// Where an IR value lives for its whole lifetime.
struct Home {
  enum class Kind : uint8_t { kNone, kReg, kStack };
  Kind kind = Kind::kNone;  // kNone: result never used
  Reg reg = RAX;
  int32_t slot = 0;  // byte offset from RSP
};

struct Allocation {
  std::vector<Home> homes;  // one per instruction
  int32_t frame_bytes = 0;  // spill area size (multiple of 8)
};

// Registers that hold values: callee-saved ones, and R10/R11, which the
// emitter saves around every call (CallAbs). RAX, RCX, RDX, RSI, RDI, R8
// and R9 are scratch; R12 = guest state, R13 = ExecContext.
constexpr Reg kAllocatable[] = {R10, R11, RBX, RBP, R14, R15};

// Linear scan over SSA live ranges [definition, last use]. When registers run
// out, the range that ends last goes to the stack (Poletto & Sarkar 1999):
// homes are fixed per value, so "spilling" here just picks who is on the
// stack for its whole life.
Allocation AllocateRegisters(const ir::Block& block);

}  // namespace tcg::x86_64

#endif  // TCG_X86_64_REG_ALLOC_H_
