#include "tcg/riscv64/decode.h"

#include <string>

#include "gtest/gtest.h"

namespace tcg::riscv64 {
namespace {

// Pairs produced by riscv64-linux-gnu-as: each compressed instruction and
// the 32-bit instruction the spec says it expands to.
constexpr struct {
  uint16_t c;
  uint32_t full;
} kExpansions[] = {
    {0x4515, 0x00500513}, {0x0800, 0x01010413}, {0x414c, 0x00452583}, {0x6690, 0x0086b603},
    {0xc14c, 0x00b52223}, {0xe690, 0x00c6b423}, {0x357d, 0xfff5051b}, {0x7139, 0xfc010113},
    {0x7785, 0xfffe17b7}, {0x800d, 0x00345413}, {0x94fd, 0x43f4d493}, {0x9b79, 0xffe77713},
    {0x8c1d, 0x40f40433}, {0x8c3d, 0x00f44433}, {0x8c5d, 0x00f46433}, {0x8c7d, 0x00f47433},
    {0x9c1d, 0x40f4043b}, {0x9c3d, 0x00f4043b}, {0xa095, 0x0640006f}, {0xd975, 0xfe050ae3},
    {0xe911, 0x00051a63}, {0x1286, 0x02129293}, {0x4532, 0x00c12503}, {0x70e2, 0x03813083},
    {0x8082, 0x00008067}, {0x852e, 0x00b00533}, {0x9002, 0x00100073}, {0x9302, 0x000300e7},
    {0x952e, 0x00b50533}, {0xde2a, 0x02a12e23}, {0xff86, 0x1e113c23},
};

TEST(CompressedTest, ExpandsLikeTheAssembler) {
  for (const auto& e : kExpansions) {
    EXPECT_EQ(ExpandCompressed(e.c), e.full) << std::hex << "c=0x" << e.c;
  }
}

TEST(CompressedTest, ReservedEncodingsAreIllegal) {
  EXPECT_EQ(ExpandCompressed(0x0000), 0u);  // all zeros
  EXPECT_EQ(ExpandCompressed(0x6101), 0u);  // c.addi16sp with imm 0
  EXPECT_EQ(ExpandCompressed(0x6781), 0u);  // c.lui a5, 0
  EXPECT_EQ(ExpandCompressed(0x2001), 0u);  // c.addiw x0
  EXPECT_EQ(ExpandCompressed(0x4002), 0u);  // c.lwsp x0
  EXPECT_EQ(ExpandCompressed(0x6002), 0u);  // c.ldsp x0
  EXPECT_EQ(ExpandCompressed(0x8002), 0u);  // c.jr x0
  EXPECT_EQ(ExpandCompressed(0x9c41), 0u);  // reserved c.subw/addw slot
}

Insn DecodeOk(uint32_t raw, const char* name) {
  Insn insn;
  insn.raw = raw;
  const InsnDesc* d = Decode(raw);
  EXPECT_NE(d, nullptr) << std::hex << raw;
  if (d == nullptr) return insn;
  EXPECT_EQ(std::string(d->name), name);
  ExtractOperands(d->format, insn);
  return insn;
}

TEST(DecodeTest, FieldsAndImmediates) {
  Insn i = DecodeOk(0xfff50513, "addi");  // addi a0, a0, -1
  EXPECT_EQ(i.rd, 10);
  EXPECT_EQ(i.rs1, 10);
  EXPECT_EQ(i.imm, -1);
  i = DecodeOk(0xfe050ae3, "beq");  // beq a0, x0, -12
  EXPECT_EQ(i.imm, -12);
  i = DecodeOk(0x0640006f, "jal");  // jal x0, +100
  EXPECT_EQ(i.imm, 100);
  i = DecodeOk(0x02a12e23, "sw");  // sw a0, 60(sp)
  EXPECT_EQ(i.rs1, 2);
  EXPECT_EQ(i.rs2, 10);
  EXPECT_EQ(i.imm, 60);
  i = DecodeOk(0xfffe17b7, "lui");
  EXPECT_EQ(i.imm, static_cast<int64_t>(0xfffffffffffe1000));
  i = DecodeOk(0x43f4d493, "srai");  // srai s1, s1, 63
  EXPECT_EQ(i.imm, 63);
  DecodeOk(0x100525af, "lr.w");
  DecodeOk(0x1ec5b5af, "sc.d");   // sc.d.aqrl
  DecodeOk(0x0ff0000f, "fence");
  DecodeOk(0x0000100f, "fence.i");
  DecodeOk(0x30200073, "mret");
  DecodeOk(0x34202573, "csrrs");  // csrr a0, mcause
}

TEST(DecodeTest, ReservedAndUnknownEncodingsAreRejected) {
  EXPECT_EQ(Decode(0x0205151b), nullptr);  // slliw with shamt[5] set
  EXPECT_EQ(Decode(0x102525af), nullptr);  // lr.w with rs2 != 0
  EXPECT_EQ(Decode(0xffffffff), nullptr);
  EXPECT_EQ(Decode(0x00000007 | (4 << 12)), nullptr);  // LOAD-FP width 4 (no Q)
  EXPECT_EQ(Decode(0x06000043), nullptr);              // fmadd with fmt 3 (Q)
  EXPECT_EQ(Decode(0x58100053), nullptr);              // fsqrt.s with rs2 != 0
  EXPECT_EQ(Decode(0xc0400053), nullptr);              // fcvt.w.s with rs2 = 4
  EXPECT_EQ(Decode(0x20003053), nullptr);              // fsgnj.s funct3 = 3
}

TEST(DecodeTest, FloatingPointEncodings) {
  DecodeOk(0x00052087, "flw");        // flw f1, 0(a0)
  DecodeOk(0x00153427, "fsd");        // fsd f1, 8(a0)
  DecodeOk(0x0220f1d3, "fadd.d");     // fadd.d f3, f1, f2
  DecodeOk(0x1a20f1d3, "fdiv.d");
  DecodeOk(0x5a0071d3, "fsqrt.d");
  DecodeOk(0x2220a1d3, "fsgnjx.d");
  DecodeOk(0xa2209553, "flt.d");      // flt.d a0, f1, f2
  DecodeOk(0xc2309553, "fcvt.int.d"); // fcvt.lu.d a0, f1, rtz
  DecodeOk(0xd0057153, "fcvt.s.int"); // fcvt.s.w f2, a0
  DecodeOk(0xe2008553, "fmv.x.d");
  DecodeOk(0xe0009553, "fclass.s");
  DecodeOk(0xf0050153, "fmv.w.x");
  DecodeOk(0x40107153, "fcvt.s.d");
  DecodeOk(0x1820f1c7, "fmsub.s");    // fmsub.s f3, f1, f2, f3
  DecodeOk(0x1a20f1cf, "fnmadd.d");
}

TEST(DecodeTest, TableHasNoOverlaps) {
  // Every entry's match must decode to itself (no earlier entry shadows it).
  for (const InsnDesc& d : InsnTable()) {
    EXPECT_EQ(Decode(d.match), &d) << d.name;
  }
}

}  // namespace
}  // namespace tcg::riscv64
