#include "tcg/ir/printer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tcg::ir {
namespace {

std::string PrintImm(Opcode op, int slot, uint64_t bits) {
  if (op == Opcode::SetCond64 && slot == 0) {
    return std::string(CondName(static_cast<Cond>(bits)));
  }
  if ((op == Opcode::Load || op == Opcode::Store ||
       (op >= Opcode::AtomicCmpXchg && op <= Opcode::AtomicMaxU)) &&
      slot == 0) {
    MemOp m = MemOp::Decode(bits);
    return absl::StrFormat("[sz=%d%s%s]", m.size(), m.sign ? " s" : "",
                           m.aligned ? " aligned" : "");
  }
  if (op == Opcode::Mb) {
    static const char* kNames[] = {"LL", "LS", "SL", "SS", "acq", "rel"};
    std::string s = "[";
    for (int b = 0; b < 6; ++b) {
      if (bits & (1u << b)) {
        if (s.size() > 1) s += " ";
        s += kNames[b];
      }
    }
    return s + "]";
  }
  return absl::StrFormat("#0x%x", bits);
}

absl::string_view ReasonName(ExitReason r) {
  switch (r) {
    case ExitReason::kNone: return "none";
    case ExitReason::kException: return "exception";
    case ExitReason::kMemFault: return "memfault";
    case ExitReason::kFlushCode: return "flushcode";
    case ExitReason::kHalt: return "halt";
    case ExitReason::kHelper: return "helper";
  }
  return "?";
}

}  // namespace

std::string PrintValue(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNone: return "<none>";
    case Value::Kind::kInst: return absl::StrCat("v", v.index());
    case Value::Kind::kConst:
      return absl::StrFormat("0x%x:%s", v.bits(), TypeName(v.type()));
  }
  return "?";
}

std::string Print(const Block& block) {
  std::string out = absl::StrFormat("block pc=0x%x flags=0x%x insns=%d\n",
                                    block.guest_pc, block.flags,
                                    block.guest_insns);
  for (size_t i = 0; i < block.insts.size(); ++i) {
    const Inst& inst = block.insts[i];
    const OpInfo& info = GetOpInfo(inst.op);
    out += "  ";
    if (inst.type != Type::Void) {
      absl::StrAppend(&out, "v", i, ":", TypeName(inst.type), " = ");
    }
    absl::StrAppend(&out, info.name);
    for (int a = 0; a < info.num_args; ++a) {
      out += a == 0 ? " " : ", ";
      if (info.args[a] == Type::Imm) {
        out += PrintImm(inst.op, a, inst.args[a].bits());
      } else {
        out += PrintValue(inst.args[a]);
      }
    }
    out += "\n";
  }
  const Terminal& t = block.terminal;
  switch (t.kind) {
    case Terminal::Kind::kNone: out += "  -> <no terminal>\n"; break;
    case Terminal::Kind::kJump:
      absl::StrAppendFormat(&out, "  -> jump 0x%x\n", t.pc);
      break;
    case Terminal::Kind::kIndirect:
      absl::StrAppend(&out, "  -> jump ", PrintValue(t.target), "\n");
      break;
    case Terminal::Kind::kBranch:
      absl::StrAppendFormat(&out, "  -> if %s then 0x%x else 0x%x\n",
                            PrintValue(t.cond), t.pc, t.pc_else);
      break;
    case Terminal::Kind::kExit:
      absl::StrAppendFormat(&out, "  -> exit %s pc=0x%x code=0x%x aux=0x%x\n",
                            ReasonName(t.reason), t.pc, t.code, t.aux);
      break;
  }
  return out;
}

}  // namespace tcg::ir
