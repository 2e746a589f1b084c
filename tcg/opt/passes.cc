#include "tcg/opt/passes.h"

#include <algorithm>
#include <vector>

#include "tcg/ir/pure_ops.h"

namespace tcg::opt {
namespace {

using ir::Opcode;
using ir::Value;

// Rewrites every operand (and terminal value) through `repl`.
void Substitute(ir::Block& block, const std::vector<Value>& repl) {
  auto fix = [&](Value& v) {
    while (v.is_inst() && !repl[v.index()].is_none()) v = repl[v.index()];
  };
  for (ir::Inst& inst : block.insts) {
    for (Value& v : inst.args) fix(v);
  }
  fix(block.terminal.target);
  fix(block.terminal.cond);
}

bool IsConst(const Value& v, uint64_t bits) { return v.is_const() && v.bits() == bits; }

uint64_t AllOnes(ir::Type t) { return t == ir::Type::I32 ? 0xffffffffu : ~uint64_t{0}; }

// Identity simplifications; returns the replacement or none.
Value Simplify(const ir::Inst& in) {
  const Value& a = in.args[0];
  const Value& b = in.args[1];
  switch (in.op) {
    case Opcode::Add64: case Opcode::Add32: case Opcode::Or64: case Opcode::Or32:
    case Opcode::Xor64: case Opcode::Xor32:
      if (IsConst(b, 0)) return a;
      if (IsConst(a, 0)) return b;
      break;
    case Opcode::Sub64: case Opcode::Sub32: case Opcode::Shl64: case Opcode::Shl32:
    case Opcode::Shr64: case Opcode::Shr32: case Opcode::Sar64: case Opcode::Sar32:
      if (IsConst(b, 0)) return a;
      break;
    case Opcode::And64: case Opcode::And32:
      if (IsConst(b, AllOnes(in.type))) return a;
      if (IsConst(a, AllOnes(in.type))) return b;
      if (IsConst(a, 0) || IsConst(b, 0)) return Value::Const(in.type, 0);
      break;
    case Opcode::Mul64: case Opcode::Mul32:
      if (IsConst(b, 1)) return a;
      if (IsConst(a, 1)) return b;
      if (IsConst(a, 0) || IsConst(b, 0)) return Value::Const(in.type, 0);
      break;
    case Opcode::Select64:
      if (a.is_const()) return a.bits() != 0 ? b : in.args[2];
      if (b == in.args[2]) return b;
      break;
    default:
      break;
  }
  return Value();
}

struct Slot {
  uint64_t offset;
  unsigned size;
  Value value;      // known current value of the slot
  int64_t store;    // index of the SetReg not yet observed, or -1
};

bool Overlaps(const Slot& s, uint64_t off, unsigned size) {
  return off < s.offset + s.size && s.offset < off + size;
}

}  // namespace

void ForwardGuestRegisters(ir::Block& block) {
  const size_t n = block.insts.size();
  std::vector<Value> repl(n);
  std::vector<bool> dead_store(n, false);
  std::vector<Slot> slots;
  auto observe_all = [&] {
    for (Slot& s : slots) s.store = -1;
  };
  for (size_t i = 0; i < n; ++i) {
    ir::Inst& in = block.insts[i];
    for (Value& v : in.args) {
      while (v.is_inst() && !repl[v.index()].is_none()) v = repl[v.index()];
    }
    const uint32_t flags = ir::GetOpInfo(in.op).flags;
    switch (in.op) {
      case Opcode::GetReg32:
      case Opcode::GetReg64: {
        const uint64_t off = in.args[0].bits();
        const unsigned size = in.op == Opcode::GetReg64 ? 8 : 4;
        bool found = false;
        for (Slot& s : slots) {
          if (s.offset == off && s.size == size) {
            repl[i] = s.value;
            found = true;
          } else if (Overlaps(s, off, size)) {
            s.store = -1;  // a partial read observes the store
          }
        }
        if (!found) {
          slots.erase(std::remove_if(slots.begin(), slots.end(),
                                     [&](const Slot& s) { return Overlaps(s, off, size); }),
                      slots.end());
          slots.push_back(Slot{off, size, Value::Inst(static_cast<uint32_t>(i), in.type), -1});
        }
        break;
      }
      case Opcode::SetReg32:
      case Opcode::SetReg64: {
        const uint64_t off = in.args[0].bits();
        const unsigned size = in.op == Opcode::SetReg64 ? 8 : 4;
        for (const Slot& s : slots) {
          // Fully overwritten and never observed: the earlier store is dead.
          if (s.store >= 0 && s.offset >= off && s.offset + s.size <= off + size) {
            dead_store[s.store] = true;
          }
        }
        slots.erase(std::remove_if(slots.begin(), slots.end(),
                                   [&](const Slot& s) { return Overlaps(s, off, size); }),
                    slots.end());
        slots.push_back(Slot{off, size, in.args[1], static_cast<int64_t>(i)});
        break;
      }
      default:
        // Anything that may leave the block or lets a helper see the state
        // observes every pending store; helpers may also change the state.
        if (flags & (ir::kMayExit | ir::kReadsEnv)) observe_all();
        if (flags & ir::kWritesEnv) slots.clear();
        break;
    }
  }
  Substitute(block, repl);
  // A dead store becomes an unused read of the same slot: effect-free, so
  // EliminateDeadCode drops it, and the block stays valid without it.
  for (size_t i = 0; i < n; ++i) {
    if (!dead_store[i]) continue;
    ir::Inst& in = block.insts[i];
    const bool wide = in.op == Opcode::SetReg64;
    in.op = wide ? Opcode::GetReg64 : Opcode::GetReg32;
    in.type = wide ? ir::Type::I64 : ir::Type::I32;
    in.args[1] = Value();
  }
}

void FoldConstants(ir::Block& block) {
  const size_t n = block.insts.size();
  std::vector<Value> repl(n);
  for (size_t i = 0; i < n; ++i) {
    ir::Inst& in = block.insts[i];
    for (Value& v : in.args) {
      while (v.is_inst() && !repl[v.index()].is_none()) v = repl[v.index()];
    }
    const ir::OpInfo& info = ir::GetOpInfo(in.op);
    if (!(info.flags & ir::kPure)) continue;
    bool all_const = true;
    uint64_t bits[ir::kMaxArgs] = {};
    for (int a = 0; a < info.num_args; ++a) {
      all_const &= in.args[a].is_const();
      bits[a] = in.args[a].bits();
    }
    uint64_t r;
    if (all_const && ir::EvalPure(in.op, bits, &r)) {
      repl[i] = Value::Const(in.type, r);
      continue;
    }
    repl[i] = Simplify(in);
  }
  Substitute(block, repl);
}

void EliminateDeadCode(ir::Block& block) {
  const size_t n = block.insts.size();
  std::vector<bool> live(n, false);
  auto mark = [&](const Value& v) {
    if (v.is_inst()) live[v.index()] = true;
  };
  mark(block.terminal.target);
  mark(block.terminal.cond);
  for (size_t k = n; k-- > 0;) {
    const ir::Inst& in = block.insts[k];
    if (!ir::IsRemovableIfUnused(in.op)) live[k] = true;
    if (!live[k]) continue;
    for (const Value& v : in.args) mark(v);
  }
  std::vector<uint32_t> renum(n, 0);
  std::vector<ir::Inst> out;
  out.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    if (!live[k]) continue;
    renum[k] = static_cast<uint32_t>(out.size());
    out.push_back(block.insts[k]);
  }
  auto fix = [&](Value& v) {
    if (v.is_inst()) v = Value::Inst(renum[v.index()], v.type());
  };
  for (ir::Inst& in : out) {
    for (Value& v : in.args) fix(v);
  }
  fix(block.terminal.target);
  fix(block.terminal.cond);
  block.insts = std::move(out);
}

void Optimize(ir::Block& block) {
  ForwardGuestRegisters(block);
  FoldConstants(block);
  EliminateDeadCode(block);
}

}  // namespace tcg::opt
