#include "tcg/x86_64/jit_helpers.h"

#include "tcg/ir/pure_ops.h"
#include "tcg/runtime/softmmu.h"

namespace tcg::x86_64 {
namespace {

void Fault(ExecContext* ctx, uint64_t pc, const MemFault& f) {
  ctx->pending.reason = ir::ExitReason::kMemFault;
  ctx->pending.pc = pc;
  ctx->pending.code = 0;
  ctx->pending.aux = f.addr;
  ctx->pending.fault = f;
}

}  // namespace

uint64_t JitLoad(ExecContext* ctx, uint64_t addr, uint64_t memop, uint64_t pc) {
  uint64_t v = 0;
  MemFault f;
  if (!ctx->mmu->Load(addr, ir::MemOp::Decode(memop), &v, &f)) Fault(ctx, pc, f);
  return v;
}

void JitStore(ExecContext* ctx, uint64_t addr, uint64_t value, uint64_t memop, uint64_t pc) {
  MemFault f;
  if (!ctx->mmu->Store(addr, ir::MemOp::Decode(memop), value, &f)) Fault(ctx, pc, f);
}

uint64_t JitAtomic(ExecContext* ctx, uint64_t op, uint64_t addr, uint64_t value,
                   uint64_t expected, uint64_t pc) {
  uint64_t old = 0;
  MemFault f;
  if (!ctx->mmu->Atomic(static_cast<AtomicOp>(op >> 8), addr, ir::MemOp::Decode(op & 0xff), value,
                        expected, &old, &f)) {
    Fault(ctx, pc, f);
  }
  return old;
}

uint64_t JitPure(uint64_t opcode, uint64_t a, uint64_t b) {
  const uint64_t args[ir::kMaxArgs] = {a, b, 0, 0};
  uint64_t r = 0;
  ir::EvalPure(static_cast<ir::Opcode>(opcode), args, &r);
  return r;
}

}  // namespace tcg::x86_64
