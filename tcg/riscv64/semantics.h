#ifndef TCG_RISCV64_SEMANTICS_H_
#define TCG_RISCV64_SEMANTICS_H_

// Instruction semantics: IR emitted for each RV64 instruction. Families
// sharing a shape are templates instantiated by the encoding table
// (decode_table.cc); one-offs live in semantics_system.cc.
// Spec references are to the RISC-V unprivileged ISA (20191213).

#include "tcg/riscv64/translator.h"

namespace tcg::riscv64 {

using ir::Opcode;
using ir::Value;

inline Value Trunc(Translator& t, Value v) { return t.ir().Trunc64To32(v); }
inline Value Sext32(Translator& t, Value v) { return t.ir().SExt32To64(v); }

// --- RV64I (ch. 2 and 5) ---

bool Lui(Translator& t, const Insn& i);
bool Auipc(Translator& t, const Insn& i);
bool Jal(Translator& t, const Insn& i);
bool Jalr(Translator& t, const Insn& i);

template <ir::Cond C>
bool Branch(Translator& t, const Insn& i) {
  Value cond = t.ir().SetCond64(C, t.X(i.rs1), t.X(i.rs2));
  t.End(ir::Terminal::Branch(cond, i.pc + i.imm, i.pc + i.len));
  return true;
}

// Register-register and register-immediate ALU ops on 64 bits.
template <Opcode Op>
bool AluReg(Translator& t, const Insn& i) {
  t.SetX(i.rd, t.ir().Emit(Op, t.X(i.rs1), t.X(i.rs2)));
  return true;
}
template <Opcode Op>
bool AluImm(Translator& t, const Insn& i) {
  t.SetX(i.rd, t.ir().Emit(Op, t.X(i.rs1), t.Imm64(i.imm)));
  return true;
}
template <ir::Cond C>
bool SetLessReg(Translator& t, const Insn& i) {
  t.SetX(i.rd, t.ir().SetCond64(C, t.X(i.rs1), t.X(i.rs2)));
  return true;
}
template <ir::Cond C>
bool SetLessImm(Translator& t, const Insn& i) {
  t.SetX(i.rd, t.ir().SetCond64(C, t.X(i.rs1), t.Imm64(i.imm)));
  return true;
}

// *W ops compute on the low 32 bits and sign-extend the result (5.2).
template <Opcode Op32>
bool AluRegW(Translator& t, const Insn& i) {
  Value r = t.ir().Emit(Op32, Trunc(t, t.X(i.rs1)), Trunc(t, t.X(i.rs2)));
  t.SetX(i.rd, Sext32(t, r));
  return true;
}
template <Opcode Op32>
bool AluImmW(Translator& t, const Insn& i) {
  Value r = t.ir().Emit(Op32, Trunc(t, t.X(i.rs1)),
                        Value::I32(static_cast<uint32_t>(i.imm)));
  t.SetX(i.rd, Sext32(t, r));
  return true;
}

// Loads and stores: misaligned plain accesses are performed (the EEI may
// allow them, 2.6); faults are precise.
template <uint8_t Log2, bool Sign>
bool LoadOp(Translator& t, const Insn& i) {
  Value addr = t.ir().Add64(t.X(i.rs1), t.Imm64(i.imm));
  t.SetX(i.rd, t.ir().Load(ir::MemOp{Log2, Sign, false}, addr));
  return true;
}
template <uint8_t Log2>
bool StoreOp(Translator& t, const Insn& i) {
  Value addr = t.ir().Add64(t.X(i.rs1), t.Imm64(i.imm));
  t.ir().Store(ir::MemOp{Log2, false, false}, addr, t.X(i.rs2));
  return true;
}

// --- A extension (ch. 8) ---

// aq/rl become one-sided barriers around the access (RVWMO, 17.1 rules
// 5-7); the host atomics themselves are sequentially consistent.
inline void AmoBefore(Translator& t, const Insn& i) {
  if (i.imm & 1) t.ir().Mb(ir::kOrderRelease);
}
inline void AmoAfter(Translator& t, const Insn& i) {
  if (i.imm & 2) t.ir().Mb(ir::kOrderAcquire);
}

template <Opcode Op, uint8_t Log2>
bool Amo(Translator& t, const Insn& i) {
  AmoBefore(t, i);
  Value memop = Value::Imm(ir::MemOp{Log2, true, true}.Encode());
  Value old = t.ir().Emit(Op, memop, t.X(i.rs1), t.X(i.rs2));
  AmoAfter(t, i);
  t.SetX(i.rd, old);
  return true;
}

template <uint8_t Log2>
bool LoadReserved(Translator& t, const Insn& i) {
  if (i.rs2 != 0) return false;
  AmoBefore(t, i);
  Value addr = t.X(i.rs1);
  Value v = t.ir().Load(ir::MemOp{Log2, true, true}, addr);
  t.ir().SetReg64(Value::Imm(kResAddrOffset), addr);
  t.ir().SetReg64(Value::Imm(kResValOffset), v);
  AmoAfter(t, i);
  t.SetX(i.rd, v);
  return true;
}

// SC: see StoreConditionalHelper (semantics_system.cc).
bool StoreConditional(Translator& t, const Insn& i, uint8_t log2);
template <uint8_t Log2>
bool StoreCond(Translator& t, const Insn& i) {
  return StoreConditional(t, i, Log2);
}

// --- Zifencei, Zicsr, system ---

bool Fence(Translator& t, const Insn& i);
bool FenceI(Translator& t, const Insn& i);
bool Ecall(Translator& t, const Insn& i);
bool Ebreak(Translator& t, const Insn& i);
bool Mret(Translator& t, const Insn& i);
bool Sret(Translator& t, const Insn& i);
bool SfenceVma(Translator& t, const Insn& i);
bool Wfi(Translator& t, const Insn& i);

enum class CsrOp : uint8_t { kWrite = 1, kSet = 2, kClear = 3 };
bool CsrAccess(Translator& t, const Insn& i, CsrOp op, bool imm);
template <CsrOp Op, bool Imm>
bool Csr(Translator& t, const Insn& i) {
  return CsrAccess(t, i, Op, Imm);
}

}  // namespace tcg::riscv64

#endif  // TCG_RISCV64_SEMANTICS_H_
