#include <cstdint>
#include <limits>

#include "gtest/gtest.h"
#include "tcg/ir/builder.h"
#include "tcg/ir/printer.h"
#include "tcg/ir/pure_ops.h"
#include "tcg/ir/verify.h"

namespace tcg::ir {
namespace {

TEST(OpcodeTest, MetadataComesFromTheTable) {
  const OpInfo& add = GetOpInfo(Opcode::Add64);
  EXPECT_EQ(add.name, "Add64");
  EXPECT_EQ(add.result, Type::I64);
  EXPECT_EQ(add.num_args, 2);
  EXPECT_TRUE(add.flags & kPure);
  EXPECT_TRUE(add.flags & kCommutative);
  const OpInfo& cas = GetOpInfo(Opcode::AtomicCmpXchg);
  EXPECT_EQ(cas.num_args, 4);
  EXPECT_EQ(cas.args[0], Type::Imm);
  EXPECT_TRUE(cas.flags & kMemory);
  EXPECT_TRUE(IsRemovableIfUnused(Opcode::GetReg64));
  EXPECT_FALSE(IsRemovableIfUnused(Opcode::Load));
  EXPECT_FALSE(IsRemovableIfUnused(Opcode::Mb));
  EXPECT_FALSE(IsRemovableIfUnused(Opcode::SetReg64));
  for (int i = 0; i < kNumOpcodes; ++i) {
    EXPECT_FALSE(GetOpInfo(static_cast<Opcode>(i)).name.empty());
  }
}

TEST(MemOpTest, RoundTrips) {
  for (uint8_t size = 0; size < 4; ++size) {
    for (bool sign : {false, true}) {
      for (bool aligned : {false, true}) {
        MemOp m{size, sign, aligned};
        MemOp d = MemOp::Decode(m.Encode());
        EXPECT_EQ(d.log2_size, size);
        EXPECT_EQ(d.sign, sign);
        EXPECT_EQ(d.aligned, aligned);
      }
    }
  }
}

Block SampleBlock() {
  Block b;
  b.guest_pc = 0x80000000;
  Builder ir(&b);
  ir.InsnStart(Value::Imm(0x80000000));
  Value x1 = ir.GetReg64(Value::Imm(8));
  Value sum = ir.Add64(x1, Value::I64(16));
  Value loaded = ir.Load(MemOp{2, true, false}, sum);
  ir.Mb(kOrderStoreLoad | kOrderRelease);
  Value old = ir.AtomicAdd(Value::Imm(MemOp{3, false, true}.Encode()), sum, loaded);
  ir.SetReg64(Value::Imm(16), old);
  Value cond = ir.SetCond64(Cond::kLtU, loaded, Value::I64(5));
  ir.SetTerminal(Terminal::Branch(cond, 0x80000010, 0x80000004));
  return b;
}

TEST(VerifyTest, AcceptsWellFormedBlock) {
  Block b = SampleBlock();
  EXPECT_TRUE(Verify(b).ok()) << Verify(b);
}

TEST(VerifyTest, RejectsTypeMismatch) {
  Block b;
  Builder ir(&b);
  Value x = ir.GetReg32(Value::Imm(0));
  ir.Add64(x, Value::I64(1));  // i32 into an i64 slot
  ir.SetTerminal(Terminal::Jump(0));
  absl::Status s = Verify(b);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("type i32, want i64"), std::string::npos) << s;
}

TEST(VerifyTest, RejectsNonImmediateInImmSlot) {
  Block b;
  Builder ir(&b);
  Value x = ir.GetReg64(Value::Imm(0));
  ir.GetReg64(x);
  ir.SetTerminal(Terminal::Jump(0));
  EXPECT_FALSE(Verify(b).ok());
}

TEST(VerifyTest, RejectsForwardReferenceAndMissingTerminal) {
  Block b;
  Builder ir(&b);
  ir.Add64(Value::Inst(1, Type::I64), Value::I64(1));
  ir.GetReg64(Value::Imm(0));
  ir.SetTerminal(Terminal::Jump(0));
  EXPECT_FALSE(Verify(b).ok());

  Block c;
  Builder ir2(&c);
  ir2.GetReg64(Value::Imm(0));
  EXPECT_FALSE(Verify(c).ok());
}

TEST(VerifyTest, RejectsMissingAndExtraOperands) {
  Block b;
  Builder ir(&b);
  ir.Add64(Value::I64(1));
  ir.SetTerminal(Terminal::Jump(0));
  EXPECT_FALSE(Verify(b).ok());

  Block c;
  Builder ir2(&c);
  ir2.Trunc64To32(Value::I64(1), Value::I64(2));
  ir2.SetTerminal(Terminal::Jump(0));
  EXPECT_FALSE(Verify(c).ok());
}

TEST(PrinterTest, ShowsOpsOperandsAndTerminal) {
  std::string text = Print(SampleBlock());
  EXPECT_NE(text.find("v2:i64 = Add64 v1, 0x10:i64"), std::string::npos) << text;
  EXPECT_NE(text.find("Load [sz=4 s], v2"), std::string::npos) << text;
  EXPECT_NE(text.find("Mb [SL rel]"), std::string::npos) << text;
  EXPECT_NE(text.find("AtomicAdd [sz=8 aligned]"), std::string::npos) << text;
  EXPECT_NE(text.find("SetCond64 ltu, v3, 0x5:i64"), std::string::npos) << text;
  EXPECT_NE(text.find("-> if v7 then 0x80000010 else 0x80000004"), std::string::npos) << text;
}

uint64_t Eval(Opcode op, uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  uint64_t args[kMaxArgs] = {a, b, c, 0};
  uint64_t r = 0xdead;
  EXPECT_TRUE(EvalPure(op, args, &r)) << OpName(op);
  return r;
}

TEST(PureOpsTest, DivisionIsTotal) {
  const uint64_t kMin64 = uint64_t{1} << 63;
  EXPECT_EQ(Eval(Opcode::DivS64, 7, 0), ~uint64_t{0});
  EXPECT_EQ(Eval(Opcode::DivU64, 7, 0), ~uint64_t{0});
  EXPECT_EQ(Eval(Opcode::RemS64, 7, 0), 7u);
  EXPECT_EQ(Eval(Opcode::RemU64, 7, 0), 7u);
  EXPECT_EQ(Eval(Opcode::DivS64, kMin64, ~uint64_t{0}), kMin64);
  EXPECT_EQ(Eval(Opcode::RemS64, kMin64, ~uint64_t{0}), 0u);
  EXPECT_EQ(Eval(Opcode::DivS64, static_cast<uint64_t>(-7), 2), static_cast<uint64_t>(-3));
  EXPECT_EQ(Eval(Opcode::RemS64, static_cast<uint64_t>(-7), 2), static_cast<uint64_t>(-1));
  EXPECT_EQ(Eval(Opcode::DivS32, 0x80000000u, 0xffffffffu), 0x80000000u);
  EXPECT_EQ(Eval(Opcode::RemS32, 0x80000000u, 0xffffffffu), 0u);
  EXPECT_EQ(Eval(Opcode::DivU32, 5, 0), 0xffffffffu);
}

TEST(PureOpsTest, ShiftsMaskCounts) {
  EXPECT_EQ(Eval(Opcode::Shl64, 1, 64), 1u);
  EXPECT_EQ(Eval(Opcode::Shl64, 1, 63), uint64_t{1} << 63);
  EXPECT_EQ(Eval(Opcode::Sar64, uint64_t{1} << 63, 63), ~uint64_t{0});
  EXPECT_EQ(Eval(Opcode::Shr64, uint64_t{1} << 63, 127), 1u);
  EXPECT_EQ(Eval(Opcode::Shl32, 1, 33), 2u);
  EXPECT_EQ(Eval(Opcode::Sar32, 0x80000000u, 31), 0xffffffffu);
}

TEST(PureOpsTest, MulHighAndExtensions) {
  EXPECT_EQ(Eval(Opcode::MulHiU64, ~uint64_t{0}, ~uint64_t{0}), ~uint64_t{0} - 1);
  EXPECT_EQ(Eval(Opcode::MulHiS64, ~uint64_t{0}, ~uint64_t{0}), 0u);
  EXPECT_EQ(Eval(Opcode::MulHiSU64, ~uint64_t{0}, 2), ~uint64_t{0});
  EXPECT_EQ(Eval(Opcode::SExt32To64, 0x80000000u), 0xffffffff80000000u);
  EXPECT_EQ(Eval(Opcode::ZExt32To64, 0x80000000u), 0x80000000u);
  EXPECT_EQ(Eval(Opcode::Trunc64To32, 0x123456789), 0x23456789u);
  EXPECT_EQ(Eval(Opcode::Add32, 0xffffffffu, 1), 0u);
}

TEST(PureOpsTest, CompareAndSelect) {
  const uint64_t kCondLtS = static_cast<uint64_t>(Cond::kLtS);
  const uint64_t kCondLtU = static_cast<uint64_t>(Cond::kLtU);
  EXPECT_EQ(Eval(Opcode::SetCond64, kCondLtS, ~uint64_t{0}, 0), 1u);
  EXPECT_EQ(Eval(Opcode::SetCond64, kCondLtU, ~uint64_t{0}, 0), 0u);
  EXPECT_EQ(Eval(Opcode::Select64, 1, 10, 20), 10u);
  EXPECT_EQ(Eval(Opcode::Select64, 0, 10, 20), 20u);
  uint64_t args[kMaxArgs] = {99, 0, 0, 0};
  uint64_t r;
  EXPECT_FALSE(EvalPure(Opcode::SetCond64, args, &r));  // bad condition
  EXPECT_FALSE(EvalPure(Opcode::Load, args, &r));       // not pure
}

}  // namespace
}  // namespace tcg::ir
