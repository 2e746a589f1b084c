// C extension: each 16-bit instruction expands to one 32-bit instruction
// (unprivileged spec ch. 16, Tables 16.5-16.7), so compressed code reuses
// the 32-bit semantics. The table below is the quadrant/funct3 map; the
// expanders unscramble the immediates.

#include <cstdint>

#include "tcg/riscv64/decode.h"

namespace tcg::riscv64 {
namespace {

uint32_t B(uint32_t c, int hi, int lo) { return (c >> lo) & ((1u << (hi - lo + 1)) - 1); }
int32_t Sext(uint32_t v, int bits) {
  const int shift = 32 - bits;
  return static_cast<int32_t>(v << shift) >> shift;
}

// 32-bit encoders.
uint32_t EncI(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, int32_t imm) {
  return (static_cast<uint32_t>(imm) & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
uint32_t EncS(uint32_t op, uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm) {
  const uint32_t u = static_cast<uint32_t>(imm);
  return ((u >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 0x1f) << 7 | op;
}
uint32_t EncR(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, uint32_t rs2, uint32_t f7) {
  return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
uint32_t EncB(uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm) {
  const uint32_t u = static_cast<uint32_t>(imm);
  return ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
         ((u >> 1) & 0xf) << 8 | ((u >> 11) & 1) << 7 | 0x63;
}
uint32_t EncJ(uint32_t rd, int32_t imm) {
  const uint32_t u = static_cast<uint32_t>(imm);
  return ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3ff) << 21 | ((u >> 11) & 1) << 20 |
         ((u >> 12) & 0xff) << 12 | rd << 7 | 0x6f;
}

constexpr uint32_t kLoad = 0x03, kLoadFp = 0x07, kOpImm = 0x13, kOpImm32 = 0x1b, kStore = 0x23,
                   kStoreFp = 0x27, kOp = 0x33, kOp32 = 0x3b, kLui = 0x37, kJalr = 0x67;

uint32_t RdP(uint32_t c) { return 8 + B(c, 4, 2); }   // rd'/rs2' in bits 4:2
uint32_t Rs1P(uint32_t c) { return 8 + B(c, 9, 7); }  // rd'/rs1' in bits 9:7
uint32_t Rd(uint32_t c) { return B(c, 11, 7); }
uint32_t Rs2(uint32_t c) { return B(c, 6, 2); }
int32_t Imm6(uint32_t c) { return Sext(B(c, 12, 12) << 5 | B(c, 6, 2), 6); }
uint32_t Shamt(uint32_t c) { return B(c, 12, 12) << 5 | B(c, 6, 2); }
// Offsets of C.LW/C.SW and C.LD/C.SD (and FLD/FSD).
uint32_t UimmW(uint32_t c) { return B(c, 12, 10) << 3 | B(c, 6, 6) << 2 | B(c, 5, 5) << 6; }
uint32_t UimmD(uint32_t c) { return B(c, 12, 10) << 3 | B(c, 6, 5) << 6; }

// Quadrant 0.
uint32_t Addi4spn(uint32_t c) {
  const uint32_t imm = B(c, 12, 11) << 4 | B(c, 10, 7) << 6 | B(c, 6, 6) << 2 | B(c, 5, 5) << 3;
  if (imm == 0) return 0;  // reserved (includes the all-zero parcel)
  return EncI(kOpImm, RdP(c), 0, 2, imm);
}
uint32_t Fld(uint32_t c) { return EncI(kLoadFp, RdP(c), 3, Rs1P(c), UimmD(c)); }
uint32_t Lw(uint32_t c) { return EncI(kLoad, RdP(c), 2, Rs1P(c), UimmW(c)); }
uint32_t Ld(uint32_t c) { return EncI(kLoad, RdP(c), 3, Rs1P(c), UimmD(c)); }
uint32_t Fsd(uint32_t c) { return EncS(kStoreFp, 3, Rs1P(c), RdP(c), UimmD(c)); }
uint32_t Sw(uint32_t c) { return EncS(kStore, 2, Rs1P(c), RdP(c), UimmW(c)); }
uint32_t Sd(uint32_t c) { return EncS(kStore, 3, Rs1P(c), RdP(c), UimmD(c)); }

// Quadrant 1.
uint32_t Addi(uint32_t c) { return EncI(kOpImm, Rd(c), 0, Rd(c), Imm6(c)); }
uint32_t Addiw(uint32_t c) {
  if (Rd(c) == 0) return 0;  // reserved
  return EncI(kOpImm32, Rd(c), 0, Rd(c), Imm6(c));
}
uint32_t Li(uint32_t c) { return EncI(kOpImm, Rd(c), 0, 0, Imm6(c)); }
uint32_t LuiAddi16sp(uint32_t c) {
  if (Rd(c) == 2) {
    const int32_t imm = Sext(B(c, 12, 12) << 9 | B(c, 6, 6) << 4 | B(c, 5, 5) << 6 |
                                 B(c, 4, 3) << 7 | B(c, 2, 2) << 5,
                             10);
    if (imm == 0) return 0;  // reserved
    return EncI(kOpImm, 2, 0, 2, imm);
  }
  const int32_t imm = Sext(B(c, 12, 12) << 17 | B(c, 6, 2) << 12, 18);
  if (imm == 0) return 0;  // reserved
  return (static_cast<uint32_t>(imm) & 0xfffff000u) | Rd(c) << 7 | kLui;
}
uint32_t MiscAlu(uint32_t c) {
  const uint32_t rd = Rs1P(c), rs2 = RdP(c);
  switch (B(c, 11, 10)) {
    case 0: return EncI(kOpImm, rd, 5, rd, Shamt(c));          // c.srli
    case 1: return EncI(kOpImm, rd, 5, rd, 0x400 | Shamt(c));  // c.srai
    case 2: return EncI(kOpImm, rd, 7, rd, Imm6(c));           // c.andi
    default: break;
  }
  static constexpr struct { uint32_t op, f3, f7; } kOps[8] = {
      {kOp, 0, 0x20}, {kOp, 4, 0}, {kOp, 6, 0}, {kOp, 7, 0},  // sub xor or and
      {kOp32, 0, 0x20}, {kOp32, 0, 0}, {0, 0, 0}, {0, 0, 0},  // subw addw - -
  };
  const auto& o = kOps[B(c, 12, 12) << 2 | B(c, 6, 5)];
  if (o.op == 0) return 0;  // reserved
  return EncR(o.op, rd, o.f3, rd, rs2, o.f7);
}
uint32_t J(uint32_t c) {
  const int32_t imm = Sext(B(c, 12, 12) << 11 | B(c, 11, 11) << 4 | B(c, 10, 9) << 8 |
                               B(c, 8, 8) << 10 | B(c, 7, 7) << 6 | B(c, 6, 6) << 7 |
                               B(c, 5, 3) << 1 | B(c, 2, 2) << 5,
                           12);
  return EncJ(0, imm);
}
int32_t BranchImm(uint32_t c) {
  return Sext(B(c, 12, 12) << 8 | B(c, 11, 10) << 3 | B(c, 6, 5) << 6 | B(c, 4, 3) << 1 |
                  B(c, 2, 2) << 5,
              9);
}
uint32_t Beqz(uint32_t c) { return EncB(0, Rs1P(c), 0, BranchImm(c)); }
uint32_t Bnez(uint32_t c) { return EncB(1, Rs1P(c), 0, BranchImm(c)); }

// Quadrant 2.
uint32_t Slli(uint32_t c) { return EncI(kOpImm, Rd(c), 1, Rd(c), Shamt(c)); }
uint32_t UimmDsp(uint32_t c) { return B(c, 12, 12) << 5 | B(c, 6, 5) << 3 | B(c, 4, 2) << 6; }
uint32_t Fldsp(uint32_t c) { return EncI(kLoadFp, Rd(c), 3, 2, UimmDsp(c)); }
uint32_t Lwsp(uint32_t c) {
  if (Rd(c) == 0) return 0;  // reserved
  return EncI(kLoad, Rd(c), 2, 2, B(c, 12, 12) << 5 | B(c, 6, 4) << 2 | B(c, 3, 2) << 6);
}
uint32_t Ldsp(uint32_t c) {
  if (Rd(c) == 0) return 0;  // reserved
  return EncI(kLoad, Rd(c), 3, 2, UimmDsp(c));
}
uint32_t JrMvAdd(uint32_t c) {
  const uint32_t rd = Rd(c), rs2 = Rs2(c);
  if (B(c, 12, 12) == 0) {
    if (rs2 == 0) return rd == 0 ? 0 : EncI(kJalr, 0, 0, rd, 0);  // c.jr
    return EncR(kOp, rd, 0, 0, rs2, 0);                           // c.mv
  }
  if (rs2 == 0) {
    if (rd == 0) return 0x00100073;       // c.ebreak
    return EncI(kJalr, 1, 0, rd, 0);      // c.jalr
  }
  return EncR(kOp, rd, 0, rd, rs2, 0);    // c.add
}
uint32_t UimmSdsp(uint32_t c) { return B(c, 12, 10) << 3 | B(c, 9, 7) << 6; }
uint32_t Fsdsp(uint32_t c) { return EncS(kStoreFp, 3, 2, Rs2(c), UimmSdsp(c)); }
uint32_t Swsp(uint32_t c) { return EncS(kStore, 2, 2, Rs2(c), B(c, 12, 9) << 2 | B(c, 8, 7) << 6); }
uint32_t Sdsp(uint32_t c) { return EncS(kStore, 3, 2, Rs2(c), UimmSdsp(c)); }

struct CompressedDesc {
  uint16_t mask;
  uint16_t match;
  uint32_t (*expand)(uint32_t c);
};

constexpr uint16_t kQ = 0xe003;  // funct3 + quadrant
constexpr uint16_t M(uint16_t f3, uint16_t q) { return static_cast<uint16_t>(f3 << 13 | q); }

constexpr CompressedDesc kCompressed[] = {
    {kQ, M(0, 0), &Addi4spn}, {kQ, M(1, 0), &Fld},  {kQ, M(2, 0), &Lw},
    {kQ, M(3, 0), &Ld},       {kQ, M(5, 0), &Fsd},  {kQ, M(6, 0), &Sw},
    {kQ, M(7, 0), &Sd},       {kQ, M(0, 1), &Addi}, {kQ, M(1, 1), &Addiw},
    {kQ, M(2, 1), &Li},       {kQ, M(3, 1), &LuiAddi16sp}, {kQ, M(4, 1), &MiscAlu},
    {kQ, M(5, 1), &J},        {kQ, M(6, 1), &Beqz}, {kQ, M(7, 1), &Bnez},
    {kQ, M(0, 2), &Slli},     {kQ, M(1, 2), &Fldsp}, {kQ, M(2, 2), &Lwsp},
    {kQ, M(3, 2), &Ldsp},     {kQ, M(4, 2), &JrMvAdd}, {kQ, M(5, 2), &Fsdsp},
    {kQ, M(6, 2), &Swsp},     {kQ, M(7, 2), &Sdsp},
};

}  // namespace

uint32_t ExpandCompressed(uint16_t c) {
  for (const CompressedDesc& d : kCompressed) {
    if ((c & d.mask) == d.match) return d.expand(c);
  }
  return 0;
}

}  // namespace tcg::riscv64
