// Differential test: random IR blocks run on the interpreter (the oracle)
// and on the x86-64 backend from identical state must end identically:
// guest registers, memory, exit reason, pc and fault details.

#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "tcg/interp/interpreter.h"
#include "tcg/ir/builder.h"
#include "tcg/ir/printer.h"
#include "tcg/opt/passes.h"
#include "tcg/runtime/softmmu.h"
#include "tcg/testing/flat_memory.h"
#include "tcg/x86_64/backend.h"

namespace tcg::x86_64 {
namespace {

using ir::Opcode;
using ir::Value;

constexpr uint64_t kRam = 0x80000000;
constexpr uint64_t kRamSize = 2 * 4096;
constexpr int kRegs = 16;

struct State {
  uint64_t r[kRegs];
  uint64_t pc;
};

constexpr uint64_t kEdges[] = {0, 1, 2, 31, 32, 63, 64, 0x7fffffff, 0x80000000, 0xffffffff,
                               0x7fffffffffffffff, 0x8000000000000000, ~uint64_t{0},
                               ~uint64_t{0} - 1, 0x123456789abcdef0};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  uint64_t Rand(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  uint64_t Bits() {
    return Rand(3) == 0 ? kEdges[Rand(std::size(kEdges))]
                        : std::uniform_int_distribution<uint64_t>()(rng_);
  }

  Value Pick64(ir::Builder& /*b*/) {
    if (v64_.empty() || Rand(5) == 0) return Value::I64(Bits());
    return v64_[Rand(v64_.size())];
  }
  Value Pick32(ir::Builder& b) {
    if (Rand(4) == 0) return Value::I32(static_cast<uint32_t>(Bits()));
    if (v32_.empty() || Rand(3) == 0) {
      Value v = b.Trunc64To32(Pick64(b));
      v32_.push_back(v);
      return v;
    }
    return v32_[Rand(v32_.size())];
  }
  // An address inside RAM (sometimes misaligned, sometimes crossing the
  // page), or rarely outside it to exercise faults.
  Value Addr(ir::Builder& b, bool aligned8) {
    if (Rand(40) == 0) return Value::I64(Rand(2) ? 0x1000 : ~uint64_t{0} - 2);
    Value off = b.And64(Pick64(b), Value::I64(aligned8 ? 0x1ff8 : 0x1ff7));
    return b.Add64(off, Value::I64(kRam));
  }

  ir::Block Make() {
    v64_.clear();
    v32_.clear();
    ir::Block block;
    block.guest_pc = 0x1000;
    block.guest_insns = 1;
    ir::Builder b(&block);
    const int n = 1 + static_cast<int>(Rand(60));
    for (int k = 0; k < n; ++k) {
      if (Rand(8) == 0) b.InsnStart(Value::Imm(0x1000 + 4 * k));
      switch (Rand(12)) {
        case 0:
          v64_.push_back(b.GetReg64(Value::Imm(8 * Rand(kRegs))));
          break;
        case 1:
          b.SetReg64(Value::Imm(8 * Rand(kRegs)), Pick64(b));
          break;
        case 2: case 3: case 4: {
          static constexpr Opcode kOps[] = {
              Opcode::Add64, Opcode::Sub64, Opcode::Mul64, Opcode::MulHiS64, Opcode::MulHiU64,
              Opcode::MulHiSU64, Opcode::DivS64, Opcode::DivU64, Opcode::RemS64, Opcode::RemU64,
              Opcode::And64, Opcode::Or64, Opcode::Xor64, Opcode::Shl64, Opcode::Shr64,
              Opcode::Sar64};
          v64_.push_back(b.Emit(kOps[Rand(std::size(kOps))], Pick64(b), Pick64(b)));
          break;
        }
        case 5: {
          static constexpr Opcode kOps[] = {
              Opcode::Add32, Opcode::Sub32, Opcode::Mul32, Opcode::DivS32, Opcode::DivU32,
              Opcode::RemS32, Opcode::RemU32, Opcode::And32, Opcode::Or32, Opcode::Xor32,
              Opcode::Shl32, Opcode::Shr32, Opcode::Sar32};
          static constexpr Opcode kUnary32[] = {Opcode::Clz32, Opcode::Ctz32, Opcode::Cpop32};
          Value r = Rand(4) == 0 ? b.Emit(kUnary32[Rand(std::size(kUnary32))], Pick32(b))
                                 : b.Emit(kOps[Rand(std::size(kOps))], Pick32(b), Pick32(b));
          v32_.push_back(r);
          v64_.push_back(Rand(2) ? b.SExt32To64(r) : b.ZExt32To64(r));
          break;
        }
        case 6:
          v64_.push_back(b.SetCond64(static_cast<ir::Cond>(Rand(6)), Pick64(b), Pick64(b)));
          break;
        case 7:
          if (Rand(2) == 0) {
            v64_.push_back(b.Select64(Pick64(b), Pick64(b), Pick64(b)));
          } else {
            static constexpr Opcode kUnary[] = {Opcode::Clz64, Opcode::Ctz64, Opcode::Cpop64,
                                                Opcode::Bswap64, Opcode::OrcB64};
            v64_.push_back(b.Emit(kUnary[Rand(std::size(kUnary))], Pick64(b)));
          }
          break;
        case 8: {
          ir::MemOp op{static_cast<uint8_t>(Rand(4)), Rand(2) == 0, false};
          v64_.push_back(b.Load(op, Addr(b, false)));
          break;
        }
        case 9: {
          ir::MemOp op{static_cast<uint8_t>(Rand(4)), false, false};
          b.Store(op, Addr(b, false), Pick64(b));
          break;
        }
        case 10: {
          ir::MemOp op{static_cast<uint8_t>(2 + Rand(2)), Rand(2) == 0, true};
          Value addr = Addr(b, true);
          const Opcode aop = static_cast<Opcode>(static_cast<int>(Opcode::AtomicCmpXchg) +
                                                 static_cast<int>(Rand(10)));
          if (aop == Opcode::AtomicCmpXchg) {
            v64_.push_back(b.AtomicCmpXchg(Value::Imm(op.Encode()), addr, Pick64(b), Pick64(b)));
          } else {
            v64_.push_back(b.Emit(aop, Value::Imm(op.Encode()), addr, Pick64(b)));
          }
          break;
        }
        case 11:
          b.Mb(static_cast<uint8_t>(Rand(64)));
          break;
      }
    }
    switch (Rand(4)) {
      case 0: b.SetTerminal(ir::Terminal::Jump(0x2000)); break;
      case 1: b.SetTerminal(ir::Terminal::Indirect(Pick64(b))); break;
      case 2: b.SetTerminal(ir::Terminal::Branch(Pick64(b), 0x3000, 0x4000)); break;
      default:
        b.SetTerminal(ir::Terminal::Exit(ir::ExitReason::kException, 0x5000, 11, 7));
        break;
    }
    return block;
  }

 private:
  std::mt19937_64 rng_;
  std::vector<Value> v64_, v32_;
};

struct Machine {
  Machine() : mem(kRam, kRamSize), mmu(&mem, nullptr) {
    ctx.state = reinterpret_cast<uint8_t*>(&state);
    ctx.pc_offset = offsetof(State, pc);
    ctx.mmu = &mmu;
    ctx.tlb = mmu.tlb_base();
  }
  tcg::testing::FlatMemory mem;
  SoftMmu mmu;
  State state{};
  ExecContext ctx;
};

// Runs `reference` on the interpreter and `candidate` on `backend` from the
// same random start state and asserts identical outcomes.
void ExpectSameOutcome(const TranslationBlock& reference, Backend& ref_backend,
                       const TranslationBlock& candidate, Backend& backend,
                       Generator& gen, std::mt19937_64& init_rng) {
  Machine a, b;
  std::vector<uint8_t> ram(kRamSize);
  for (auto& byte : ram) byte = static_cast<uint8_t>(init_rng());
  ASSERT_TRUE(a.mem.Write(kRam, ram.data(), ram.size()).ok());
  ASSERT_TRUE(b.mem.Write(kRam, ram.data(), ram.size()).ok());
  for (int r = 0; r < kRegs; ++r) a.state.r[r] = b.state.r[r] = gen.Bits();

  ExitInfo ea = ref_backend.Execute(reference, a.ctx);
  ExitInfo eb = backend.Execute(candidate, b.ctx);

  const std::string listing = ir::Print(reference.block) + "--- candidate:\n" +
                              ir::Print(candidate.block);
  ASSERT_EQ(static_cast<int>(ea.reason), static_cast<int>(eb.reason)) << listing;
  ASSERT_EQ(ea.pc, eb.pc) << listing;
  ASSERT_EQ(ea.code, eb.code) << listing;
  ASSERT_EQ(ea.aux, eb.aux) << listing;
  ASSERT_EQ(ea.fault.addr, eb.fault.addr) << listing;
  ASSERT_EQ(a.state.pc, b.state.pc) << listing;
  for (int r = 0; r < kRegs; ++r) {
    ASSERT_EQ(a.state.r[r], b.state.r[r]) << "r" << r << "\n" << listing;
  }
  ASSERT_EQ(a.ctx.insns_retired, b.ctx.insns_retired);
  std::vector<uint8_t> ma(kRamSize), mb(kRamSize);
  ASSERT_TRUE(a.mem.Read(kRam, ma.data(), kRamSize).ok());
  ASSERT_TRUE(b.mem.Read(kRam, mb.data(), kRamSize).ok());
  ASSERT_TRUE(ma == mb) << "memory differs\n" << listing;
}

TEST(DifferentialTest, RandomBlocksMatchTheInterpreter) {
  Generator gen(20261125);
  Interpreter interp;
  X86Backend x86(offsetof(State, pc));
  std::mt19937_64 init_rng(7);
  for (int iter = 0; iter < 3000 && !HasFatalFailure(); ++iter) {
    TranslationBlock tb;
    tb.block = gen.Make();
    ASSERT_TRUE(x86.Compile(tb).ok()) << x86.Compile(tb);
    ExpectSameOutcome(tb, interp, tb, x86, gen, init_rng);
  }
}

// The optimizer must not change behaviour: unoptimized blocks on the
// interpreter against optimized ones on the interpreter and on x86-64.
TEST(DifferentialTest, OptimizedBlocksMatchUnoptimized) {
  Generator gen(99);
  Interpreter interp;
  X86Backend x86(offsetof(State, pc));
  std::mt19937_64 init_rng(11);
  for (int iter = 0; iter < 3000 && !HasFatalFailure(); ++iter) {
    TranslationBlock plain;
    plain.block = gen.Make();
    TranslationBlock optimized;
    optimized.block = plain.block;
    opt::Optimize(optimized.block);
    ASSERT_TRUE(x86.Compile(optimized).ok());
    ExpectSameOutcome(plain, interp, optimized, interp, gen, init_rng);
    ExpectSameOutcome(plain, interp, optimized, x86, gen, init_rng);
  }
}

}  // namespace
}  // namespace tcg::x86_64
