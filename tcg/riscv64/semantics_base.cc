// RV64I control transfer and upper-immediate instructions (unprivileged
// spec 2.4-2.5). Everything else in RV64IMA is a template in semantics.h.

#include "tcg/riscv64/semantics.h"

namespace tcg::riscv64 {

bool Lui(Translator& t, const Insn& i) {
  t.SetX(i.rd, t.Imm64(i.imm));
  return true;
}

bool Auipc(Translator& t, const Insn& i) {
  t.SetX(i.rd, t.Imm64(static_cast<int64_t>(i.pc) + i.imm));
  return true;
}

// With C, every jump target is 2-byte aligned, so no
// instruction-address-misaligned exception can arise (2.2, 16.1).
bool Jal(Translator& t, const Insn& i) {
  t.SetX(i.rd, t.Imm64(static_cast<int64_t>(i.pc + i.len)));
  t.End(ir::Terminal::Jump(i.pc + i.imm));
  return true;
}

bool Jalr(Translator& t, const Insn& i) {
  // Compute the target before writing rd: rd may equal rs1.
  Value target = t.ir().And64(t.ir().Add64(t.X(i.rs1), t.Imm64(i.imm)), t.Imm64(~int64_t{1}));
  t.SetX(i.rd, t.Imm64(static_cast<int64_t>(i.pc + i.len)));
  t.End(ir::Terminal::Indirect(target));
  return true;
}

}  // namespace tcg::riscv64
