#ifndef TCG_X86_64_ASSEMBLER_H_
#define TCG_X86_64_ASSEMBLER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tcg::x86_64 {

enum Reg : uint8_t {
  RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15,
};

// Condition codes (Intel SDM vol. 2, Appendix B.1.4.7).
enum Cond : uint8_t {
  kO = 0, kNO, kB, kAE, kE, kNE, kBE, kA, kS, kNS, kP, kNP, kL, kGE, kLE, kG,
};

enum AluOp : uint8_t { kAdd = 0x01, kOr = 0x09, kAnd = 0x21, kSub = 0x29, kXor = 0x31, kCmp = 0x39 };
enum ShiftOp : uint8_t { kShl = 4, kShr = 5, kSar = 7 };

// A tiny x86-64 encoder for the instructions the backend needs. Memory
// operands are always [base + disp32]. `w` selects 64-bit (REX.W) vs 32-bit
// operation; 32-bit results zero-extend into the full register.
class Assembler {
 public:
  const std::vector<uint8_t>& bytes() const { return buf_; }
  size_t size() const { return buf_.size(); }

  void MovRR(Reg dst, Reg src, bool w = true);
  void MovRI(Reg dst, uint64_t imm);
  void Load(Reg dst, Reg base, int32_t disp, bool w = true);
  void Store(Reg base, int32_t disp, Reg src, bool w = true);
  void Alu(AluOp op, Reg dst, Reg src, bool w = true);
  void Imul(Reg dst, Reg src, bool w = true);
  void Shift(ShiftOp op, Reg dst, bool w = true);  // by CL
  void ShiftImm(ShiftOp op, Reg dst, uint8_t count, bool w = true);
  // Op with an imm32, sign-extended for 64-bit (ADD/OR/AND/SUB/XOR/CMP).
  void AluImm(AluOp op, Reg dst, int32_t imm, bool w = true);
  // dst = dst op [base + disp].
  void AluMem(AluOp op, Reg dst, Reg base, int32_t disp, bool w = true);
  // MOV [base + disp], imm32 (sign-extended for 64-bit).
  void StoreImm(Reg base, int32_t disp, int32_t imm, bool w = true);
  // CMP reg, [base + disp] (64-bit).
  void CmpMem(Reg reg, Reg base, int32_t disp);
  // Guest-sized accesses through a host pointer: loads zero- or
  // sign-extend to 64 bits; stores write the low `size` bytes.
  void LoadSized(Reg dst, Reg base, int32_t disp, unsigned size, bool sign);
  void StoreSized(Reg base, int32_t disp, Reg src, unsigned size);
  void MulWide(bool sign, Reg src);                // RDX:RAX = RAX * src
  // RAX = RDX:RAX / src, RDX = remainder (DIV/IDIV; #DE on /0 or overflow).
  void DivWide(bool sign, Reg src, bool w = true);
  void SignExtendRax(bool w = true);               // CQO / CDQ
  void Neg(Reg dst, bool w = true);
  // Bit scans leave dst unchanged (ZF=1) for a zero source on every
  // x86-64 CPU; callers use CMOVZ rather than rely on it.
  void Bsr(Reg dst, Reg src, bool w = true);
  void Bsf(Reg dst, Reg src, bool w = true);
  void Popcnt(Reg dst, Reg src, bool w = true);    // needs CPUID POPCNT
  void Bswap(Reg dst);                             // 64-bit
  void Setcc(Cond cc, Reg dst);
  void Movzx8(Reg dst, Reg src);
  void Test(Reg a, Reg b, bool w = true);
  void Cmov(Cond cc, Reg dst, Reg src);
  void Movsxd(Reg dst, Reg src);
  void CallR(Reg target);
  void JmpR(Reg target);
  // ADD qword [base + disp], imm32 (sign-extended); DEC qword [base + disp].
  void AddMemImm(Reg base, int32_t disp, int32_t imm);
  void DecMem(Reg base, int32_t disp);
  void Push(Reg r);
  void Pop(Reg r);
  void AddRspImm(int32_t imm);
  void SubRspImm(int32_t imm);
  void CmpMem8Imm(Reg base, int32_t disp, uint8_t imm);
  void Mfence();
  void Ret();

  // Forward jumps: emit with a placeholder, Bind() patches it to the
  // current position.
  size_t Jcc(Cond cc);
  size_t Jmp();
  void Bind(size_t patch_site);
  // JMP rel32 back to an earlier offset.
  void JmpTo(size_t target);

 private:
  void Rex(bool w, int reg, int base, bool force = false);
  void ModRmReg(int reg, int rm);
  void ModRmMem(int reg, Reg base, int32_t disp);
  void Emit8(uint8_t b) { buf_.push_back(b); }
  void Emit32(uint32_t v);
  void Emit64(uint64_t v);

  std::vector<uint8_t> buf_;
};

}  // namespace tcg::x86_64

#endif  // TCG_X86_64_ASSEMBLER_H_
