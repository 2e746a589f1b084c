#ifndef TCG_X86_64_JIT_HELPERS_H_
#define TCG_X86_64_JIT_HELPERS_H_

#include <cstdint>

#include "tcg/runtime/exec_context.h"

namespace tcg::x86_64 {

// C functions that generated code calls (System V ABI). Memory helpers go
// through the vCPU's SoftMmu; on a fault they fill ctx->pending (reason
// kMemFault, pc = the guest instruction) and the generated code exits.
uint64_t JitLoad(ExecContext* ctx, uint64_t addr, uint64_t memop, uint64_t pc);
void JitStore(ExecContext* ctx, uint64_t addr, uint64_t value, uint64_t memop, uint64_t pc);
// `op` = (AtomicOp << 8) | memop.
uint64_t JitAtomic(ExecContext* ctx, uint64_t op, uint64_t addr, uint64_t value,
                   uint64_t expected, uint64_t pc);
// Pure ops not worth inlining (division with its total semantics, mulhsu):
// evaluated by the shared definition in pure_ops.cc.
uint64_t JitPure(uint64_t opcode, uint64_t a, uint64_t b);

}  // namespace tcg::x86_64

#endif  // TCG_X86_64_JIT_HELPERS_H_
