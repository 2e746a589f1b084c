#include "tcg/opt/passes.h"

#include "gtest/gtest.h"
#include "tcg/ir/builder.h"
#include "tcg/ir/printer.h"
#include "tcg/ir/verify.h"

namespace tcg::opt {
namespace {

using ir::Builder;
using ir::Opcode;
using ir::Value;

int Count(const ir::Block& b, Opcode op) {
  int n = 0;
  for (const ir::Inst& in : b.insts) n += in.op == op;
  return n;
}

TEST(FoldConstantsTest, FoldsThroughSharedSemanticsAndIdentities) {
  ir::Block b;
  Builder ir(&b);
  Value c = ir.Add64(Value::I64(40), Value::I64(2));
  Value d = ir.DivS64(c, Value::I64(0));         // total division: -1
  Value x = ir.GetReg64(Value::Imm(8));
  Value y = ir.Add64(x, Value::I64(0));          // x
  Value z = ir.And64(y, Value::I64(~uint64_t{0}));  // x
  ir.SetReg64(Value::Imm(16), d);
  ir.SetReg64(Value::Imm(24), z);
  ir.SetTerminal(ir::Terminal::Indirect(ir.Select64(Value::I64(1), c, x)));
  Optimize(b);
  ASSERT_TRUE(ir::Verify(b).ok()) << ir::Print(b);
  EXPECT_EQ(Count(b, Opcode::Add64), 0) << ir::Print(b);
  EXPECT_EQ(Count(b, Opcode::DivS64), 0);
  EXPECT_EQ(b.insts.size(), 3u) << ir::Print(b);  // GetReg + 2 SetReg
  EXPECT_EQ(b.insts[1].args[1], Value::I64(~uint64_t{0}));
  EXPECT_EQ(b.insts[2].args[1], Value::Inst(0, ir::Type::I64));
  EXPECT_EQ(b.terminal.target, Value::I64(42));
}

TEST(ForwardGuestRegistersTest, ForwardsAndDropsDeadStores) {
  ir::Block b;
  Builder ir(&b);
  Value a = ir.GetReg64(Value::Imm(8));
  Value a2 = ir.GetReg64(Value::Imm(8));          // same slot: reuse a
  ir.SetReg64(Value::Imm(16), ir.Add64(a, a2));  // dead: overwritten below
  Value s = ir.GetReg64(Value::Imm(16));          // forwarded from the store
  ir.SetReg64(Value::Imm(16), ir.Add64(s, Value::I64(1)));
  ir.SetTerminal(ir::Terminal::Jump(0));
  Optimize(b);
  ASSERT_TRUE(ir::Verify(b).ok()) << ir::Print(b);
  EXPECT_EQ(Count(b, Opcode::GetReg64), 1) << ir::Print(b);
  EXPECT_EQ(Count(b, Opcode::SetReg64), 1) << ir::Print(b);
}

TEST(ForwardGuestRegistersTest, KeepsStoresVisibleAtFaultsAndHelpers) {
  ir::Block b;
  Builder ir(&b);
  ir.SetReg64(Value::Imm(16), Value::I64(1));
  ir.Load(ir::MemOp{3, false, false}, Value::I64(0x1000));  // may fault: x must be 1 then
  ir.SetReg64(Value::Imm(16), Value::I64(2));
  ir.CallHelper(Value::Imm(0x1234), Value::I64(0), Value::I64(0), Value::I64(0));
  Value after = ir.GetReg64(Value::Imm(16));  // helper may have changed it
  ir.SetReg64(Value::Imm(24), after);
  ir.SetTerminal(ir::Terminal::Jump(0));
  Optimize(b);
  ASSERT_TRUE(ir::Verify(b).ok()) << ir::Print(b);
  EXPECT_EQ(Count(b, Opcode::SetReg64), 3) << ir::Print(b);
  EXPECT_EQ(Count(b, Opcode::GetReg64), 1) << ir::Print(b);
}

TEST(ForwardGuestRegistersTest, PartialOverlapIsNotForwarded) {
  ir::Block b;
  Builder ir(&b);
  ir.SetReg64(Value::Imm(16), Value::I64(0x1111111122222222));
  Value lo = ir.GetReg32(Value::Imm(16));  // reads part of the 64-bit store
  ir.SetReg32(Value::Imm(32), lo);
  ir.SetTerminal(ir::Terminal::Jump(0));
  Optimize(b);
  ASSERT_TRUE(ir::Verify(b).ok()) << ir::Print(b);
  EXPECT_EQ(Count(b, Opcode::SetReg64), 1);
  EXPECT_EQ(Count(b, Opcode::GetReg32), 1);
}

TEST(EliminateDeadCodeTest, RemovesUnusedPureOpsAndRenumbers) {
  ir::Block b;
  Builder ir(&b);
  ir.Mul64(Value::I64(3), ir.GetReg64(Value::Imm(0)));  // unused
  Value v = ir.GetReg64(Value::Imm(8));
  ir.Load(ir::MemOp{0, false, false}, v);  // unused but kept: may fault
  ir.SetTerminal(ir::Terminal::Indirect(v));
  EliminateDeadCode(b);
  ASSERT_TRUE(ir::Verify(b).ok()) << ir::Print(b);
  EXPECT_EQ(b.insts.size(), 2u);
  EXPECT_EQ(b.terminal.target, Value::Inst(0, ir::Type::I64));
}

}  // namespace
}  // namespace tcg::opt
