#include "tcg/ir/builder.h"

namespace tcg::ir {

Value Builder::Emit(Opcode op, Value a0, Value a1, Value a2, Value a3) {
  const OpInfo& info = GetOpInfo(op);
  Inst inst{op, info.result, {a0, a1, a2, a3}};
  block_->insts.push_back(inst);
  if (info.result == Type::Void) return Value();
  return Value::Inst(static_cast<uint32_t>(block_->insts.size() - 1),
                     info.result);
}

}  // namespace tcg::ir
