#include "tcg/interp/interpreter.h"

#include <cstring>

#include "gtest/gtest.h"
#include "tcg/ir/builder.h"
#include "tcg/ir/verify.h"
#include "tcg/runtime/softmmu.h"
#include "tcg/testing/flat_memory.h"

namespace tcg {
namespace {

using ir::Builder;
using ir::MemOp;
using ir::Terminal;
using ir::Value;

constexpr uint64_t kRam = 0x80000000;

// A toy guest: 4 registers and a PC.
struct ToyState {
  uint64_t r[4];
  uint64_t pc;
};

Value Off(int reg) { return Value::Imm(reg * 8); }

class InterpreterTest : public ::testing::Test {
 protected:
  InterpreterTest() : mem_(kRam, 1 << 16), mmu_(&mem_, nullptr) {
    ctx_.state = reinterpret_cast<uint8_t*>(&state_);
    ctx_.pc_offset = offsetof(ToyState, pc);
    ctx_.mmu = &mmu_;
  }
  ExitInfo Run(const ir::Block& b) {
    EXPECT_TRUE(ir::Verify(b).ok()) << ir::Verify(b);
    return Interpreter::Run(b, ctx_);
  }

  testing::FlatMemory mem_;
  SoftMmu mmu_;
  ToyState state_{};
  ExecContext ctx_;
};

TEST_F(InterpreterTest, ArithmeticRegistersAndBranch) {
  ir::Block b;
  b.guest_insns = 3;
  Builder ir(&b);
  Value a = ir.GetReg64(Off(0));
  Value c = ir.GetReg64(Off(1));
  Value w = ir.SExt32To64(ir.Add32(ir.Trunc64To32(a), ir.Trunc64To32(c)));
  ir.SetReg64(Off(2), w);
  ir.SetTerminal(Terminal::Branch(ir.SetCond64(ir::Cond::kLtS, w, Value::I64(0)), 0x100, 0x200));
  state_.r[0] = 0x7fffffff;
  state_.r[1] = 1;
  ExitInfo e = Run(b);
  EXPECT_EQ(e.reason, ir::ExitReason::kNone);
  EXPECT_EQ(e.pc, 0x100u);
  EXPECT_EQ(state_.pc, 0x100u);
  EXPECT_EQ(state_.r[2], 0xffffffff80000000u);
  EXPECT_EQ(ctx_.insns_retired, 3u);
}

TEST_F(InterpreterTest, MemoryAtomicsAndIndirectJump) {
  ir::Block b;
  Builder ir(&b);
  Value addr = ir.GetReg64(Off(0));
  ir.Store(MemOp{3, false, false}, addr, Value::I64(40));
  Value old = ir.AtomicAdd(Value::Imm(MemOp{3, false, true}.Encode()), addr, Value::I64(2));
  Value cas = ir.AtomicCmpXchg(Value::Imm(MemOp{3, false, true}.Encode()), addr, Value::I64(42),
                               Value::I64(7));
  ir.Mb(ir::kOrderAll);
  Value now = ir.Load(MemOp{3, false, false}, addr);
  ir.SetReg64(Off(1), old);
  ir.SetReg64(Off(2), cas);
  ir.SetReg64(Off(3), now);
  ir.SetTerminal(Terminal::Indirect(ir.Add64(now, Value::I64(0x1000))));
  state_.r[0] = kRam + 0x100;
  ExitInfo e = Run(b);
  EXPECT_EQ(e.reason, ir::ExitReason::kNone);
  EXPECT_EQ(state_.r[1], 40u);
  EXPECT_EQ(state_.r[2], 42u);
  EXPECT_EQ(state_.r[3], 7u);
  EXPECT_EQ(state_.pc, 0x1007u);
}

TEST_F(InterpreterTest, FaultReportsInstructionPcAndStopsBeforeLaterWrites) {
  ir::Block b;
  Builder ir(&b);
  ir.InsnStart(Value::Imm(0x500));
  ir.SetReg64(Off(1), Value::I64(11));
  ir.InsnStart(Value::Imm(0x504));
  Value v = ir.Load(MemOp{2, false, false}, Value::I64(0x10));  // unmapped
  ir.SetReg64(Off(2), v);
  ir.SetTerminal(Terminal::Jump(0x508));
  ExitInfo e = Run(b);
  EXPECT_EQ(e.reason, ir::ExitReason::kMemFault);
  EXPECT_EQ(e.pc, 0x504u);
  EXPECT_EQ(e.fault.addr, 0x10u);
  EXPECT_EQ(e.fault.access, MemAccess::kLoad);
  EXPECT_EQ(state_.r[1], 11u);
  EXPECT_EQ(state_.r[2], 0u);
  EXPECT_EQ(state_.pc, 0x504u);
}

uint64_t AddHelper(ExecContext*, uint64_t a, uint64_t b, uint64_t c) { return a + b + c; }
uint64_t TrapHelper(ExecContext* ctx, uint64_t a, uint64_t, uint64_t) {
  ctx->RaiseExit(ir::ExitReason::kException, 2, a);
  return 0;
}

TEST_F(InterpreterTest, HelpersReturnValuesOrRaiseExits) {
  ir::Block b;
  Builder ir(&b);
  ir.InsnStart(Value::Imm(0x700));
  Value r = ir.CallHelper(Value::Imm(reinterpret_cast<uintptr_t>(&AddHelper)), Value::I64(1),
                          Value::I64(2), Value::I64(3));
  ir.SetReg64(Off(0), r);
  ir.InsnStart(Value::Imm(0x704));
  Value t = ir.CallHelper(Value::Imm(reinterpret_cast<uintptr_t>(&TrapHelper)),
                          Value::I64(0xbad), Value::I64(0), Value::I64(0));
  ir.SetReg64(Off(1), t);
  ir.SetTerminal(Terminal::Jump(0x708));
  state_.r[1] = 99;
  ExitInfo e = Run(b);
  EXPECT_EQ(state_.r[0], 6u);
  EXPECT_EQ(state_.r[1], 99u);
  EXPECT_EQ(e.reason, ir::ExitReason::kException);
  EXPECT_EQ(e.pc, 0x704u);
  EXPECT_EQ(e.code, 2u);
  EXPECT_EQ(e.aux, 0xbadu);
  EXPECT_EQ(ctx_.pending.reason, ir::ExitReason::kNone);
}

TEST_F(InterpreterTest, ExitTerminalCarriesReason) {
  ir::Block b;
  Builder ir(&b);
  ir.SetTerminal(Terminal::Exit(ir::ExitReason::kException, 0x900, 11, 0));
  ExitInfo e = Run(b);
  EXPECT_EQ(e.reason, ir::ExitReason::kException);
  EXPECT_EQ(e.code, 11u);
  EXPECT_EQ(state_.pc, 0x900u);
}

}  // namespace
}  // namespace tcg
