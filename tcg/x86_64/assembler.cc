#include "tcg/x86_64/assembler.h"

#include <cstring>

namespace tcg::x86_64 {

void Assembler::Emit32(uint32_t v) {
  for (int i = 0; i < 4; ++i) Emit8(static_cast<uint8_t>(v >> (8 * i)));
}
void Assembler::Emit64(uint64_t v) {
  for (int i = 0; i < 8; ++i) Emit8(static_cast<uint8_t>(v >> (8 * i)));
}

// REX = 0100WR0B (no index registers are used).
void Assembler::Rex(bool w, int reg, int base, bool force) {
  const uint8_t rex = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((base & 8) ? 1 : 0);
  if (rex != 0x40 || force) Emit8(rex);
}

void Assembler::ModRmReg(int reg, int rm) { Emit8(0xc0 | ((reg & 7) << 3) | (rm & 7)); }

void Assembler::ModRmMem(int reg, Reg base, int32_t disp) {
  Emit8(0x80 | ((reg & 7) << 3) | (base & 7));   // mod=10: [base + disp32]
  if ((base & 7) == RSP) Emit8(0x24);              // RSP/R12 need a SIB byte
  Emit32(static_cast<uint32_t>(disp));
}

void Assembler::MovRR(Reg dst, Reg src, bool w) {
  Rex(w, src, dst);
  Emit8(0x89);
  ModRmReg(src, dst);
}

void Assembler::MovRI(Reg dst, uint64_t imm) {
  if (imm <= 0xffffffffu) {  // mov r32, imm32 zero-extends
    Rex(false, 0, dst);
    Emit8(0xb8 + (dst & 7));
    Emit32(static_cast<uint32_t>(imm));
  } else if (static_cast<int64_t>(imm) == static_cast<int32_t>(imm)) {
    Rex(true, 0, dst);  // mov r/m64, imm32 sign-extends
    Emit8(0xc7);
    ModRmReg(0, dst);
    Emit32(static_cast<uint32_t>(imm));
  } else {
    Rex(true, 0, dst);
    Emit8(0xb8 + (dst & 7));
    Emit64(imm);
  }
}

void Assembler::Load(Reg dst, Reg base, int32_t disp, bool w) {
  Rex(w, dst, base);
  Emit8(0x8b);
  ModRmMem(dst, base, disp);
}

void Assembler::Store(Reg base, int32_t disp, Reg src, bool w) {
  Rex(w, src, base);
  Emit8(0x89);
  ModRmMem(src, base, disp);
}

void Assembler::Alu(AluOp op, Reg dst, Reg src, bool w) {
  Rex(w, src, dst);
  Emit8(op);
  ModRmReg(src, dst);
}

void Assembler::Imul(Reg dst, Reg src, bool w) {
  Rex(w, dst, src);
  Emit8(0x0f);
  Emit8(0xaf);
  ModRmReg(dst, src);
}

void Assembler::Shift(ShiftOp op, Reg dst, bool w) {
  Rex(w, 0, dst);
  Emit8(0xd3);
  ModRmReg(op, dst);
}

void Assembler::ShiftImm(ShiftOp op, Reg dst, uint8_t count, bool w) {
  Rex(w, 0, dst);
  Emit8(0xc1);
  ModRmReg(op, dst);
  Emit8(count);
}

void Assembler::AluImm(AluOp op, Reg dst, int32_t imm, bool w) {
  // The /digit of the 0x81 group is the ALU opcode's bits 5:3.
  Rex(w, 0, dst);
  Emit8(0x81);
  ModRmReg((op >> 3) & 7, dst);
  Emit32(static_cast<uint32_t>(imm));
}

void Assembler::AluMem(AluOp op, Reg dst, Reg base, int32_t disp, bool w) {
  Rex(w, dst, base);
  Emit8(op | 2);  // the reg <- r/m direction of the same ALU opcode
  ModRmMem(dst, base, disp);
}

void Assembler::StoreImm(Reg base, int32_t disp, int32_t imm, bool w) {
  Rex(w, 0, base);
  Emit8(0xc7);
  ModRmMem(0, base, disp);
  Emit32(static_cast<uint32_t>(imm));
}

void Assembler::CmpMem(Reg reg, Reg base, int32_t disp) {
  Rex(true, reg, base);
  Emit8(0x3b);
  ModRmMem(reg, base, disp);
}

void Assembler::LoadSized(Reg dst, Reg base, int32_t disp, unsigned size, bool sign) {
  switch (size) {
    case 1:
    case 2:
      Rex(sign, dst, base);  // movsx r64 needs REX.W; movzx r32 zero-extends
      Emit8(0x0f);
      Emit8(size == 1 ? (sign ? 0xbe : 0xb6) : (sign ? 0xbf : 0xb7));
      break;
    case 4:
      Rex(sign, dst, base);
      Emit8(sign ? 0x63 : 0x8b);  // movsxd r64, m32 / mov r32, m32
      break;
    default:
      Rex(true, dst, base);
      Emit8(0x8b);
      break;
  }
  ModRmMem(dst, base, disp);
}

void Assembler::StoreSized(Reg base, int32_t disp, Reg src, unsigned size) {
  if (size == 2) Emit8(0x66);
  Rex(size == 8, src, base, size == 1 && src >= 4);
  Emit8(size == 1 ? 0x88 : 0x89);
  ModRmMem(src, base, disp);
}

void Assembler::MulWide(bool sign, Reg src) {
  Rex(true, 0, src);
  Emit8(0xf7);
  ModRmReg(sign ? 5 : 4, src);
}

void Assembler::DivWide(bool sign, Reg src, bool w) {
  Rex(w, 0, src);
  Emit8(0xf7);
  ModRmReg(sign ? 7 : 6, src);
}

void Assembler::SignExtendRax(bool w) {
  if (w) Emit8(0x48);
  Emit8(0x99);
}

void Assembler::Neg(Reg dst, bool w) {
  Rex(w, 0, dst);
  Emit8(0xf7);
  ModRmReg(3, dst);
}

void Assembler::Bsr(Reg dst, Reg src, bool w) {
  Rex(w, dst, src);
  Emit8(0x0f);
  Emit8(0xbd);
  ModRmReg(dst, src);
}

void Assembler::Bsf(Reg dst, Reg src, bool w) {
  Rex(w, dst, src);
  Emit8(0x0f);
  Emit8(0xbc);
  ModRmReg(dst, src);
}

void Assembler::Popcnt(Reg dst, Reg src, bool w) {
  Emit8(0xf3);  // mandatory prefix goes before REX
  Rex(w, dst, src);
  Emit8(0x0f);
  Emit8(0xb8);
  ModRmReg(dst, src);
}

void Assembler::Bswap(Reg dst) {
  Rex(true, 0, dst);
  Emit8(0x0f);
  Emit8(0xc8 + (dst & 7));
}

void Assembler::Setcc(Cond cc, Reg dst) {
  Rex(false, 0, dst, dst >= 4);  // REX makes 4..7 mean SPL..DIL, not AH..BH
  Emit8(0x0f);
  Emit8(0x90 + cc);
  ModRmReg(0, dst);
}

void Assembler::Movzx8(Reg dst, Reg src) {
  Rex(false, dst, src, src >= 4);
  Emit8(0x0f);
  Emit8(0xb6);
  ModRmReg(dst, src);
}

void Assembler::Test(Reg a, Reg b, bool w) {
  Rex(w, b, a);
  Emit8(0x85);
  ModRmReg(b, a);
}

void Assembler::Cmov(Cond cc, Reg dst, Reg src) {
  Rex(true, dst, src);
  Emit8(0x0f);
  Emit8(0x40 + cc);
  ModRmReg(dst, src);
}

void Assembler::Movsxd(Reg dst, Reg src) {
  Rex(true, dst, src);
  Emit8(0x63);
  ModRmReg(dst, src);
}

void Assembler::CallR(Reg target) {
  Rex(false, 0, target);
  Emit8(0xff);
  ModRmReg(2, target);
}

void Assembler::JmpR(Reg target) {
  Rex(false, 0, target);
  Emit8(0xff);
  ModRmReg(4, target);
}

void Assembler::AddMemImm(Reg base, int32_t disp, int32_t imm) {
  Rex(true, 0, base);
  Emit8(0x81);
  ModRmMem(0, base, disp);
  Emit32(static_cast<uint32_t>(imm));
}

void Assembler::DecMem(Reg base, int32_t disp) {
  Rex(true, 0, base);
  Emit8(0xff);
  ModRmMem(1, base, disp);
}

void Assembler::Push(Reg r) {
  Rex(false, 0, r);
  Emit8(0x50 + (r & 7));
}

void Assembler::Pop(Reg r) {
  Rex(false, 0, r);
  Emit8(0x58 + (r & 7));
}

void Assembler::AddRspImm(int32_t imm) {
  Rex(true, 0, RSP);
  Emit8(0x81);
  ModRmReg(0, RSP);
  Emit32(static_cast<uint32_t>(imm));
}

void Assembler::SubRspImm(int32_t imm) {
  Rex(true, 0, RSP);
  Emit8(0x81);
  ModRmReg(5, RSP);
  Emit32(static_cast<uint32_t>(imm));
}

void Assembler::CmpMem8Imm(Reg base, int32_t disp, uint8_t imm) {
  Rex(false, 0, base);
  Emit8(0x80);
  ModRmMem(7, base, disp);
  Emit8(imm);
}

void Assembler::Mfence() {
  Emit8(0x0f);
  Emit8(0xae);
  Emit8(0xf0);
}

void Assembler::Ret() { Emit8(0xc3); }

size_t Assembler::Jcc(Cond cc) {
  Emit8(0x0f);
  Emit8(0x80 + cc);
  Emit32(0);
  return buf_.size();
}

size_t Assembler::Jmp() {
  Emit8(0xe9);
  Emit32(0);
  return buf_.size();
}

void Assembler::JmpTo(size_t target) {
  Emit8(0xe9);
  Emit32(static_cast<uint32_t>(static_cast<int32_t>(target - (buf_.size() + 4))));
}

void Assembler::Bind(size_t site) {
  // `site` is the offset just past the rel32 field.
  const int32_t rel = static_cast<int32_t>(buf_.size() - site);
  std::memcpy(&buf_[site - 4], &rel, 4);
}

}  // namespace tcg::x86_64
