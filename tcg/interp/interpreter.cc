#include "tcg/interp/interpreter.h"

#include <atomic>
#include <cstring>
#include <vector>

#include "tcg/ir/pure_ops.h"
#include "tcg/ir/verify.h"
#include "tcg/runtime/softmmu.h"

namespace tcg {
namespace {

using ir::Opcode;

void WritePc(ExecContext& ctx, uint64_t pc) {
  std::memcpy(ctx.state + ctx.pc_offset, &pc, sizeof(pc));
}

AtomicOp ToAtomicOp(Opcode op) {
  switch (op) {
    case Opcode::AtomicCmpXchg: return AtomicOp::kCmpXchg;
    case Opcode::AtomicXchg: return AtomicOp::kXchg;
    case Opcode::AtomicAdd: return AtomicOp::kAdd;
    case Opcode::AtomicAnd: return AtomicOp::kAnd;
    case Opcode::AtomicOr: return AtomicOp::kOr;
    case Opcode::AtomicXor: return AtomicOp::kXor;
    case Opcode::AtomicMinS: return AtomicOp::kMinS;
    case Opcode::AtomicMaxS: return AtomicOp::kMaxS;
    case Opcode::AtomicMinU: return AtomicOp::kMinU;
    default: return AtomicOp::kMaxU;
  }
}

ExitInfo Fault(ExecContext& ctx, uint64_t pc, const MemFault& fault) {
  ExitInfo e;
  e.reason = ir::ExitReason::kMemFault;
  e.pc = pc;
  e.aux = fault.addr;
  e.fault = fault;
  WritePc(ctx, pc);
  return e;
}

}  // namespace

void HostFence(uint8_t o) {
  // Plain guest accesses are relaxed host atomics, so C++ fences give exactly
  // the orderings asked for. Only store->load needs a full fence; the rest
  // are acquire (orders earlier loads) and/or release (orders later stores).
  if (o == 0) return;
  if ((o & ir::kOrderStoreLoad) ||
      ((o & ir::kOrderAcquire) && (o & ir::kOrderRelease))) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return;
  }
  const bool acq = o & (ir::kOrderLoadLoad | ir::kOrderLoadStore | ir::kOrderAcquire);
  const bool rel = o & (ir::kOrderStoreStore | ir::kOrderLoadStore | ir::kOrderRelease);
  if (acq && rel) {
    std::atomic_thread_fence(std::memory_order_acq_rel);
  } else if (acq) {
    std::atomic_thread_fence(std::memory_order_acquire);
  } else {
    std::atomic_thread_fence(std::memory_order_release);
  }
}

absl::Status Interpreter::Compile(TranslationBlock& tb) { return ir::Verify(tb.block); }

ExitInfo Interpreter::Execute(const TranslationBlock& tb, ExecContext& ctx) {
  return Run(tb.block, ctx);
}

ExitInfo Interpreter::Run(const ir::Block& block, ExecContext& ctx) {
  thread_local std::vector<uint64_t> vals;
  if (vals.size() < block.insts.size()) vals.resize(block.insts.size());
  auto get = [&](const ir::Value& v) -> uint64_t {
    return v.is_const() ? v.bits() : vals[v.index()];
  };
  uint64_t insn_pc = block.guest_pc;

  for (size_t i = 0; i < block.insts.size(); ++i) {
    const ir::Inst& inst = block.insts[i];
    uint64_t args[ir::kMaxArgs] = {get(inst.args[0]), get(inst.args[1]),
                                   get(inst.args[2]), get(inst.args[3])};
    uint64_t r = 0;
    switch (inst.op) {
      case Opcode::InsnStart: insn_pc = args[0]; break;
      case Opcode::GetReg32: {
        uint32_t v;
        std::memcpy(&v, ctx.state + args[0], sizeof(v));
        r = v;
        break;
      }
      case Opcode::GetReg64: std::memcpy(&r, ctx.state + args[0], sizeof(r)); break;
      case Opcode::SetReg32: {
        const uint32_t v = static_cast<uint32_t>(args[1]);
        std::memcpy(ctx.state + args[0], &v, sizeof(v));
        break;
      }
      case Opcode::SetReg64: std::memcpy(ctx.state + args[0], &args[1], sizeof(uint64_t)); break;
      case Opcode::Load: {
        MemFault f;
        if (!ctx.mmu->Load(args[1], ir::MemOp::Decode(args[0]), &r, &f)) {
          return Fault(ctx, insn_pc, f);
        }
        break;
      }
      case Opcode::Store: {
        MemFault f;
        if (!ctx.mmu->Store(args[1], ir::MemOp::Decode(args[0]), args[2], &f)) {
          return Fault(ctx, insn_pc, f);
        }
        break;
      }
      case Opcode::Mb: HostFence(static_cast<uint8_t>(args[0])); break;
      case Opcode::AtomicCmpXchg:
      case Opcode::AtomicXchg:
      case Opcode::AtomicAdd:
      case Opcode::AtomicAnd:
      case Opcode::AtomicOr:
      case Opcode::AtomicXor:
      case Opcode::AtomicMinS:
      case Opcode::AtomicMaxS:
      case Opcode::AtomicMinU:
      case Opcode::AtomicMaxU: {
        MemFault f;
        const bool cas = inst.op == Opcode::AtomicCmpXchg;
        const uint64_t value = cas ? args[3] : args[2];
        const uint64_t expected = cas ? args[2] : 0;
        if (!ctx.mmu->Atomic(ToAtomicOp(inst.op), args[1], ir::MemOp::Decode(args[0]), value,
                             expected, &r, &f)) {
          return Fault(ctx, insn_pc, f);
        }
        break;
      }
      case Opcode::CallHelper: {
        auto fn = reinterpret_cast<HelperFn>(static_cast<uintptr_t>(args[0]));
        r = fn(&ctx, args[1], args[2], args[3]);
        if (ctx.pending.reason != ir::ExitReason::kNone) {
          ExitInfo e = ctx.pending;
          ctx.pending = ExitInfo{};
          e.pc = insn_pc;
          WritePc(ctx, insn_pc);
          return e;
        }
        break;
      }
      default:
        // Verify() guarantees every remaining op is pure.
        ir::EvalPure(inst.op, args, &r);
        break;
    }
    vals[i] = r;
  }

  ctx.insns_retired += block.guest_insns;
  const ir::Terminal& t = block.terminal;
  ExitInfo exit;
  switch (t.kind) {
    case ir::Terminal::Kind::kJump: exit.pc = t.pc; break;
    case ir::Terminal::Kind::kIndirect: exit.pc = get(t.target); break;
    case ir::Terminal::Kind::kBranch: exit.pc = get(t.cond) != 0 ? t.pc : t.pc_else; break;
    case ir::Terminal::Kind::kExit:
    case ir::Terminal::Kind::kNone:
      exit.reason = t.reason;
      exit.pc = t.pc;
      exit.code = t.code;
      exit.aux = t.aux;
      break;
  }
  WritePc(ctx, exit.pc);
  return exit;
}

}  // namespace tcg
