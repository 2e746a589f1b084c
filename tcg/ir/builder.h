#ifndef TCG_IR_BUILDER_H_
#define TCG_IR_BUILDER_H_

#include <cstdint>

#include "tcg/ir/ir.h"

namespace tcg::ir {

// Appends instructions to a Block. One method per opcode, generated from
// opcodes.inc, taking the operands in order (immediates as Value::Imm).
// Type errors are not checked here but by Verify(), which tests and debug
// builds run on every block.
class Builder {
 public:
  explicit Builder(Block* block) : block_(block) {}

  // Generic form: appends `op` and returns its result (none for Void ops).
  Value Emit(Opcode op, Value a0 = Value(), Value a1 = Value(),
             Value a2 = Value(), Value a3 = Value());

#define OPCODE(name, ret, a0, a1, a2, a3, flags)                         \
  Value name(Value x0 = Value(), Value x1 = Value(), Value x2 = Value(), \
             Value x3 = Value()) {                                       \
    return Emit(Opcode::name, x0, x1, x2, x3);                           \
  }
#include "tcg/ir/opcodes.inc"
#undef OPCODE

  // Conveniences for common shapes.
  Value SetCond64(Cond cond, Value a, Value b) {
    return Emit(Opcode::SetCond64, Value::Imm(static_cast<uint64_t>(cond)), a,
                b);
  }
  Value Load(MemOp op, Value addr) {
    return Emit(Opcode::Load, Value::Imm(op.Encode()), addr);
  }
  void Store(MemOp op, Value addr, Value value) {
    Emit(Opcode::Store, Value::Imm(op.Encode()), addr, value);
  }
  void Mb(uint8_t orderings) { Emit(Opcode::Mb, Value::Imm(orderings)); }

  void SetTerminal(const Terminal& t) { block_->terminal = t; }
  bool HasTerminal() const {
    return block_->terminal.kind != Terminal::Kind::kNone;
  }
  Block* block() { return block_; }

 private:
  Block* block_;
};

}  // namespace tcg::ir

#endif  // TCG_IR_BUILDER_H_
