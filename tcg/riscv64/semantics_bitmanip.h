#ifndef TCG_RISCV64_SEMANTICS_BITMANIP_H_
#define TCG_RISCV64_SEMANTICS_BITMANIP_H_

// Zba/Zbb/Zbs semantics; the templates bind encoding-table entries to the
// shared implementations in semantics_bitmanip.cc.

#include "tcg/riscv64/semantics.h"

namespace tcg::riscv64 {

enum class BitOp : uint8_t { kClear, kSet, kInvert, kExtract };

bool ShAdd(Translator& t, const Insn& i, int shift, bool uw);
bool AddUw(Translator& t, const Insn& i);
bool SlliUw(Translator& t, const Insn& i);
bool LogicNot(Translator& t, const Insn& i, Opcode op);  // andn, orn, xnor
bool Unary(Translator& t, const Insn& i, Opcode op);
bool UnaryW(Translator& t, const Insn& i, Opcode op32);
bool MinMax(Translator& t, const Insn& i, ir::Cond pick_first_if);
bool SextB(Translator& t, const Insn& i);
bool SextH(Translator& t, const Insn& i);
bool ZextH(Translator& t, const Insn& i);
bool Rot(Translator& t, const Insn& i, bool left, bool imm, bool word);
bool SingleBit(Translator& t, const Insn& i, BitOp op, bool imm);

template <int Shift, bool Uw>
bool ShAddT(Translator& t, const Insn& i) { return ShAdd(t, i, Shift, Uw); }
template <Opcode Op>
bool LogicNotT(Translator& t, const Insn& i) { return LogicNot(t, i, Op); }
template <Opcode Op>
bool UnaryT(Translator& t, const Insn& i) { return Unary(t, i, Op); }
template <Opcode Op32>
bool UnaryWT(Translator& t, const Insn& i) { return UnaryW(t, i, Op32); }
template <ir::Cond C>
bool MinMaxT(Translator& t, const Insn& i) { return MinMax(t, i, C); }
template <bool Left, bool Imm, bool Word>
bool RotT(Translator& t, const Insn& i) { return Rot(t, i, Left, Imm, Word); }
template <BitOp Op, bool Imm>
bool SingleBitT(Translator& t, const Insn& i) { return SingleBit(t, i, Op, Imm); }

}  // namespace tcg::riscv64

#endif  // TCG_RISCV64_SEMANTICS_BITMANIP_H_
