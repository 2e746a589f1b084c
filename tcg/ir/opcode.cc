#include "tcg/ir/opcode.h"

namespace tcg::ir {
namespace {

constexpr int CountArgs(Type a0, Type a1, Type a2, Type a3) {
  return (a0 != Type::None) + (a1 != Type::None) + (a2 != Type::None) +
         (a3 != Type::None);
}

constexpr OpInfo kOpInfo[] = {
#define OPCODE(name, ret, a0, a1, a2, a3, flags)                        \
  {#name,                                                               \
   Type::ret,                                                           \
   {Type::a0, Type::a1, Type::a2, Type::a3},                            \
   CountArgs(Type::a0, Type::a1, Type::a2, Type::a3),                   \
   static_cast<uint32_t>(flags)},
#include "tcg/ir/opcodes.inc"
#undef OPCODE
};

static_assert(sizeof(kOpInfo) / sizeof(kOpInfo[0]) == kNumOpcodes,
              "opcodes.inc and the metadata table disagree");

}  // namespace

const OpInfo& GetOpInfo(Opcode op) { return kOpInfo[static_cast<int>(op)]; }

absl::string_view TypeName(Type type) {
  switch (type) {
    case Type::None: return "none";
    case Type::Void: return "void";
    case Type::I32: return "i32";
    case Type::I64: return "i64";
    case Type::Imm: return "imm";
  }
  return "?";
}

absl::string_view CondName(Cond cond) {
  switch (cond) {
    case Cond::kEq: return "eq";
    case Cond::kNe: return "ne";
    case Cond::kLtS: return "lt";
    case Cond::kGeS: return "ge";
    case Cond::kLtU: return "ltu";
    case Cond::kGeU: return "geu";
  }
  return "?";
}

}  // namespace tcg::ir
