// Zba, Zbb and Zbs (RISC-V bit-manipulation ISA extensions, v1.0.0),
// composed from IR ops; the counting ops and rev8/orc.b have their own.

#include "tcg/riscv64/semantics_bitmanip.h"

namespace tcg::riscv64 {
namespace {

Value Minus1() { return Value::I64(~uint64_t{0}); }
Value ZextW(Translator& t, Value v) { return t.ir().ZExt32To64(Trunc(t, v)); }

Value Rotate(Translator& t, Value a, Value count, bool left) {
  // Counts are taken mod 64, so (-count) & 63 == (64 - count) & 63 and a
  // zero count gives a | a.
  Value neg = t.ir().Sub64(Value::I64(0), count);
  Value x = left ? t.ir().Shl64(a, count) : t.ir().Shr64(a, count);
  Value y = left ? t.ir().Shr64(a, neg) : t.ir().Shl64(a, neg);
  return t.ir().Or64(x, y);
}

Value Rotate32(Translator& t, Value a, Value count, bool left) {
  Value neg = t.ir().Sub32(Value::I32(0), count);
  Value x = left ? t.ir().Shl32(a, count) : t.ir().Shr32(a, count);
  Value y = left ? t.ir().Shr32(a, neg) : t.ir().Shl32(a, neg);
  return Sext32(t, t.ir().Or32(x, y));
}

Value Bit(Translator& t, Value index) { return t.ir().Shl64(Value::I64(1), index); }

}  // namespace

bool ShAdd(Translator& t, const Insn& i, int shift, bool uw) {
  Value a = uw ? ZextW(t, t.X(i.rs1)) : t.X(i.rs1);
  t.SetX(i.rd, t.ir().Add64(t.ir().Shl64(a, Value::I64(shift)), t.X(i.rs2)));
  return true;
}

bool AddUw(Translator& t, const Insn& i) {
  t.SetX(i.rd, t.ir().Add64(ZextW(t, t.X(i.rs1)), t.X(i.rs2)));
  return true;
}

bool SlliUw(Translator& t, const Insn& i) {
  t.SetX(i.rd, t.ir().Shl64(ZextW(t, t.X(i.rs1)), t.Imm64(i.imm)));
  return true;
}

bool LogicNot(Translator& t, const Insn& i, Opcode op) {
  Value a = t.X(i.rs1), b = t.X(i.rs2);
  Value r = op == Opcode::Xor64 ? t.ir().Xor64(t.ir().Xor64(a, b), Minus1())
                                : t.ir().Emit(op, a, t.ir().Xor64(b, Minus1()));
  t.SetX(i.rd, r);
  return true;
}

bool Unary(Translator& t, const Insn& i, Opcode op) {
  t.SetX(i.rd, t.ir().Emit(op, t.X(i.rs1)));
  return true;
}

bool UnaryW(Translator& t, const Insn& i, Opcode op32) {
  t.SetX(i.rd, t.ir().ZExt32To64(t.ir().Emit(op32, Trunc(t, t.X(i.rs1)))));
  return true;
}

bool MinMax(Translator& t, const Insn& i, ir::Cond pick_first_if) {
  Value a = t.X(i.rs1), b = t.X(i.rs2);
  t.SetX(i.rd, t.ir().Select64(t.ir().SetCond64(pick_first_if, a, b), a, b));
  return true;
}

bool SextB(Translator& t, const Insn& i) {
  t.SetX(i.rd, t.ir().Sar64(t.ir().Shl64(t.X(i.rs1), Value::I64(56)), Value::I64(56)));
  return true;
}

bool SextH(Translator& t, const Insn& i) {
  t.SetX(i.rd, t.ir().Sar64(t.ir().Shl64(t.X(i.rs1), Value::I64(48)), Value::I64(48)));
  return true;
}

bool ZextH(Translator& t, const Insn& i) {
  t.SetX(i.rd, t.ir().And64(t.X(i.rs1), Value::I64(0xffff)));
  return true;
}

bool Rot(Translator& t, const Insn& i, bool left, bool imm, bool word) {
  if (word) {
    Value count = imm ? Value::I32(static_cast<uint32_t>(i.imm)) : Trunc(t, t.X(i.rs2));
    t.SetX(i.rd, Rotate32(t, Trunc(t, t.X(i.rs1)), count, left));
  } else {
    Value count = imm ? t.Imm64(i.imm) : t.X(i.rs2);
    t.SetX(i.rd, Rotate(t, t.X(i.rs1), count, left));
  }
  return true;
}

bool SingleBit(Translator& t, const Insn& i, BitOp op, bool imm) {
  Value index = imm ? t.Imm64(i.imm) : t.X(i.rs2);
  Value a = t.X(i.rs1);
  Value r;
  switch (op) {
    case BitOp::kClear: r = t.ir().And64(a, t.ir().Xor64(Bit(t, index), Minus1())); break;
    case BitOp::kSet: r = t.ir().Or64(a, Bit(t, index)); break;
    case BitOp::kInvert: r = t.ir().Xor64(a, Bit(t, index)); break;
    case BitOp::kExtract: r = t.ir().And64(t.ir().Shr64(a, index), Value::I64(1)); break;
  }
  t.SetX(i.rd, r);
  return true;
}

}  // namespace tcg::riscv64
