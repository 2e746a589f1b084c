#include "tcg/x86_64/backend.h"

#include <atomic>
#include <cstddef>
#include <memory>
#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "tcg/ir/verify.h"
#include "tcg/runtime/softmmu.h"
#include "tcg/x86_64/assembler.h"
#include "tcg/x86_64/jit_helpers.h"
#include "tcg/x86_64/reg_alloc.h"

namespace tcg::x86_64 {
namespace {

using ir::Opcode;

using BlockFn = uint64_t (*)(ExecContext*);

constexpr Reg kState = R12;
constexpr Reg kCtx = R13;
constexpr Reg kSavedRegs[] = {RBX, RBP, R12, R13, R14, R15};

constexpr int32_t kPendingReasonOffset =
    static_cast<int32_t>(offsetof(ExecContext, pending) + offsetof(ExitInfo, reason));
constexpr int32_t kPendingPcOffset =
    static_cast<int32_t>(offsetof(ExecContext, pending) + offsetof(ExitInfo, pc));

constexpr int32_t kPendingCodeOffset =
    static_cast<int32_t>(offsetof(ExecContext, pending) + offsetof(ExitInfo, code));
constexpr int32_t kPendingAuxOffset =
    static_cast<int32_t>(offsetof(ExecContext, pending) + offsetof(ExitInfo, aux));
constexpr int32_t kInsnsOffset = static_cast<int32_t>(offsetof(ExecContext, insns_retired));
constexpr int32_t kBudgetOffset = static_cast<int32_t>(offsetof(ExecContext, chain_budget));
constexpr int32_t kStopFlagOffset = static_cast<int32_t>(offsetof(ExecContext, stop_flag));
constexpr int32_t kLinkGenOffset = static_cast<int32_t>(offsetof(ExecContext, link_generation));
constexpr int32_t kChainSlotOffset = static_cast<int32_t>(offsetof(ExecContext, chain_slot));
constexpr int32_t kIndirectCacheOffset =
    static_cast<int32_t>(offsetof(ExecContext, indirect_cache));

// One direct-jump edge of a block: where to jump and in which link
// generation that is valid. Written by Link (entry, then generation with
// release), read by generated code (generation, then entry: x86 keeps
// load order), so a matching generation implies an entry at least as new.
struct ChainSlot {
  std::atomic<const uint8_t*> entry{nullptr};
  std::atomic<uint64_t> generation{~uint64_t{0}};
};
static_assert(sizeof(std::atomic<const uint8_t*>) == 8 && sizeof(std::atomic<uint64_t>) == 8,
              "generated code reads the slot as two qwords");
constexpr int32_t kSlotGenerationOffset = 8;

class CompiledX86 : public CompiledCode {
 public:
  CompiledX86(CodePlacement p, std::unique_ptr<ChainSlot[]> s, size_t chain_entry_offset)
      : placement(std::move(p)), slots(std::move(s)),
        chain_entry(placement.entry + chain_entry_offset) {}
  CodePlacement placement;
  std::unique_ptr<ChainSlot[]> slots;  // [0] jump/taken, [1] not taken
  const uint8_t* chain_entry;          // after the pushes and ctx/state loads
};

bool HostHasPopcnt() {
  static const bool has = __builtin_cpu_supports("popcnt");
  return has;
}

Cond HostCond(ir::Cond c) {
  switch (c) {
    case ir::Cond::kEq: return kE;
    case ir::Cond::kNe: return kNE;
    case ir::Cond::kLtS: return kL;
    case ir::Cond::kGeS: return kGE;
    case ir::Cond::kLtU: return kB;
    case ir::Cond::kGeU: return kAE;
  }
  return kE;
}

class Emitter {
 public:
  // `slots`: the block's two chain slots, or nullptr for no chaining.
  Emitter(const ir::Block& block, const Allocation& alloc, uint32_t pc_offset,
          const ChainSlot* slots)
      : block_(block), alloc_(alloc), pc_offset_(static_cast<int32_t>(pc_offset)),
        insn_pc_(block.guest_pc), slots_(slots) {}

  size_t chain_entry_offset() const { return chain_entry_offset_; }

  // A branch whose condition is a SetCond64 computed as the block's last
  // instruction and used nowhere else compares and jumps in the terminal:
  // its operands are still live there (their last use is that instruction,
  // and no value is defined after it).
  void FindFusedBranch() {
    const ir::Terminal& t = block_.terminal;
    const size_t n = block_.insts.size();
    if (t.kind != ir::Terminal::Kind::kBranch || !t.cond.is_inst() || n == 0 ||
        t.cond.index() != n - 1 || block_.insts[n - 1].op != Opcode::SetCond64) {
      return;
    }
    for (const ir::Inst& in : block_.insts) {
      for (const ir::Value& v : in.args) {
        if (v.is_inst() && v.index() == n - 1) return;
      }
    }
    if (t.target.is_inst() && t.target.index() == n - 1) return;
    fused_branch_ = n - 1;
  }

  absl::StatusOr<std::vector<uint8_t>> Run() {
    FindFusedBranch();
    Prologue();
    for (size_t i = 0; i < block_.insts.size(); ++i) {
      absl::Status s = EmitInst(i);
      if (!s.ok()) return s;
    }
    EmitTerminal();
    EmitSlowPaths();
    // Early-exit stubs: record the guest pc, return 1.
    for (const auto& stub : stubs_) {
      as_.Bind(stub.site);
      as_.MovRI(RAX, stub.pc);
      as_.Store(kCtx, kPendingPcOffset, RAX);
      as_.Store(kState, pc_offset_, RAX);
      as_.MovRI(RAX, 1);
      epilogue_jumps_.push_back(as_.Jmp());
    }
    for (size_t site : epilogue_jumps_) as_.Bind(site);
    Epilogue();
    return as_.bytes();
  }

 private:
  struct Stub {
    size_t site;
    uint64_t pc;
  };

  int32_t FrameBytes() const {
    // After 6 pushes and the return address RSP is 8 mod 16; keep calls
    // 16-byte aligned (System V ABI 3.2.2).
    return ((alloc_.frame_bytes + 15) & ~15) + 8;
  }

  // A chained jump enters after the pushes and the ctx/state loads (the
  // first block of the chain made them, for the same ExecContext), with
  // only its own frame to allocate.
  void Prologue() {
    for (Reg r : kSavedRegs) as_.Push(r);
    as_.MovRR(kCtx, RDI);
    as_.Load(kState, kCtx, static_cast<int32_t>(offsetof(ExecContext, state)));
    chain_entry_offset_ = as_.size();
    as_.SubRspImm(FrameBytes());
  }

  void Epilogue() {
    as_.AddRspImm(FrameBytes());
    for (int i = 5; i >= 0; --i) as_.Pop(kSavedRegs[i]);
    as_.Ret();
  }

  void Get(Reg dst, const ir::Value& v) {
    if (v.is_const()) {
      as_.MovRI(dst, v.bits());
      return;
    }
    const Home& h = alloc_.homes[v.index()];
    if (h.kind == Home::Kind::kReg) {
      if (h.reg != dst) as_.MovRR(dst, h.reg);
    } else {
      as_.Load(dst, RSP, h.slot);
    }
  }

  void Put(size_t i, Reg src) {
    const Home& h = alloc_.homes[i];
    if (h.kind == Home::Kind::kReg) {
      if (h.reg != src) as_.MovRR(h.reg, src);
    } else if (h.kind == Home::Kind::kStack) {
      as_.Store(RSP, h.slot, src);
    }
  }

  // R10 and R11 hold values too (kAllocatable) but calls clobber them:
  // two pushes keep RSP 16-byte aligned for the callee.
  void CallAbs(const void* fn) {
    as_.Push(R10);
    as_.Push(R11);
    as_.MovRI(RAX, reinterpret_cast<uintptr_t>(fn));
    as_.CallR(RAX);
    as_.Pop(R11);
    as_.Pop(R10);
  }

  void CheckPending() {
    as_.CmpMem8Imm(kCtx, kPendingReasonOffset, 0);
    stubs_.push_back({as_.Jcc(kNE), insn_pc_});
  }

  // The register a value lives in, if it has one.
  bool InReg(const ir::Value& v, Reg* r) const {
    if (!v.is_inst()) return false;
    const Home& h = alloc_.homes[v.index()];
    if (h.kind != Home::Kind::kReg) return false;
    *r = h.reg;
    return true;
  }

  // A constant usable as an instruction's imm32 (sign-extended by 64-bit
  // ops; taken as is by 32-bit ops, whose constants are 32-bit).
  static bool Imm32(const ir::Value& v, bool w, int32_t* imm) {
    if (!v.is_const()) return false;
    const uint64_t b = v.bits();
    if (w ? static_cast<int64_t>(b) != static_cast<int32_t>(b) : b > 0xffffffffu) return false;
    *imm = static_cast<int32_t>(static_cast<uint32_t>(b));
    return true;
  }

  // Where instruction i's result is computed: its own register when it has
  // one that `avoid` does not occupy, else RAX (then Put).
  Reg ResultReg(size_t i, const ir::Value& avoid) const {
    const Home& h = alloc_.homes[i];
    Reg r;
    if (h.kind == Home::Kind::kReg && !(InReg(avoid, &r) && r == h.reg)) return h.reg;
    return RAX;
  }

  // dst = dst op v, with v as an immediate, register or stack operand.
  void AluWith(AluOp op, Reg dst, const ir::Value& v, bool w) {
    int32_t imm;
    Reg r;
    if (Imm32(v, w, &imm)) {
      as_.AluImm(op, dst, imm, w);
    } else if (InReg(v, &r)) {
      as_.Alu(op, dst, r, w);
    } else if (v.is_inst()) {
      as_.AluMem(op, dst, RSP, alloc_.homes[v.index()].slot, w);
    } else {
      as_.MovRI(RCX, v.bits());
      as_.Alu(op, dst, RCX, w);
    }
  }

  // Two-address lowering straight into the result's home register: no
  // round trip through RAX/RCX for register, stack or immediate operands.
  void Binary(size_t i, AluOp op, bool w) {
    const ir::Inst& in = block_.insts[i];
    ir::Value a = in.args[0], b = in.args[1];
    Reg home;
    const bool commutes = op != kSub;
    // The result may own b's register (b dies here): compute in place on
    // b when the op commutes, else go through RAX.
    if (commutes && InReg(b, &home) && alloc_.homes[i].kind == Home::Kind::kReg &&
        alloc_.homes[i].reg == home) {
      std::swap(a, b);
    }
    const Reg dst = ResultReg(i, b);
    Get(dst, a);
    AluWith(op, dst, b, w);
    Put(i, dst);
  }

  void ShiftOp3(size_t i, ShiftOp op, bool w) {
    const ir::Inst& in = block_.insts[i];
    if (in.args[1].is_const()) {
      const Reg dst = ResultReg(i, ir::Value());
      Get(dst, in.args[0]);
      as_.ShiftImm(op, dst, static_cast<uint8_t>(in.args[1].bits() & (w ? 63 : 31)), w);
      Put(i, dst);
      return;
    }
    Get(RAX, in.args[0]);
    Get(RCX, in.args[1]);
    as_.Shift(op, RAX, w);  // hardware masks the count like the IR does
    Put(i, RAX);
  }

  // RISC-V division is total (unprivileged spec Table 7.1): x / 0 = all
  // ones, x % 0 = x, INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0. x86 DIV/IDIV
  // raise #DE for the first and the last two, so those branch around it
  // (x / -1 is -x for every x, and x % -1 is 0). Values of 32-bit ops stay
  // zero-extended.
  void Divide(size_t i, bool sign, bool rem, bool w) {
    const ir::Inst& in = block_.insts[i];
    const uint64_t ones = w ? ~uint64_t{0} : 0xffffffffu;
    Get(RAX, in.args[0]);
    Get(RCX, in.args[1]);
    as_.Test(RCX, RCX, w);
    const size_t by_zero = as_.Jcc(kE);
    size_t by_minus_one = 0;
    if (sign) {
      as_.MovRI(RDX, ones);
      as_.Alu(kCmp, RCX, RDX, w);
      by_minus_one = as_.Jcc(kE);
      as_.SignExtendRax(w);
    } else {
      as_.Alu(kXor, RDX, RDX, false);
    }
    as_.DivWide(sign, RCX, w);
    const size_t done_div = as_.Jmp();
    as_.Bind(by_zero);
    if (rem) {
      as_.MovRR(RDX, RAX, w);
    } else {
      as_.MovRI(RAX, ones);
    }
    const size_t done_zero = as_.Jmp();
    if (sign) {
      as_.Bind(by_minus_one);
      as_.Neg(RAX, w);
      as_.Alu(kXor, RDX, RDX, false);
    }
    as_.Bind(done_div);
    as_.Bind(done_zero);
    Put(i, rem ? RDX : RAX);
  }

  // clz = (width - 1) - bsr(x), with bsr(0) forced to -1 (ZF set).
  void CountLeadingZeros(size_t i, bool w) {
    Get(RCX, block_.insts[i].args[0]);
    as_.Bsr(RAX, RCX, w);
    as_.MovRI(RDX, ~uint64_t{0});
    as_.Cmov(kE, RAX, RDX);
    as_.MovRI(RCX, w ? 63 : 31);
    as_.Alu(kSub, RCX, RAX);
    Put(i, RCX);
  }

  // ctz = bsf(x), with bsf(0) forced to the width.
  void CountTrailingZeros(size_t i, bool w) {
    Get(RCX, block_.insts[i].args[0]);
    as_.Bsf(RAX, RCX, w);
    as_.MovRI(RDX, w ? 64 : 32);
    as_.Cmov(kE, RAX, RDX);
    Put(i, RAX);
  }

  void PureCall(size_t i) {
    const ir::Inst& in = block_.insts[i];
    Get(RSI, in.args[0]);
    if (in.args[1].is_none()) {
      as_.MovRI(RDX, 0);  // unary op
    } else {
      Get(RDX, in.args[1]);
    }
    as_.MovRI(RDI, static_cast<uint64_t>(in.op));
    CallAbs(reinterpret_cast<const void*>(&JitPure));
    Put(i, RAX);
  }

  // Inline softmmu lookup (SoftMmu::Entry layout): leaves the entry address
  // in RAX and jumps to the returned site on a miss (including accesses
  // that cross a page). Expects the guest address in RSI; clobbers RCX.
  size_t TlbLookup(unsigned size, bool write) {
    static_assert(SoftMmu::kEntries == 256 && kGuestPageBits > SoftMmu::kEntryShift,
                  "index = ((addr >> 12) % 256) << 5, as one shift and one mask");
    as_.MovRR(RAX, RSI, false);
    as_.ShiftImm(kShr, RAX, kGuestPageBits - SoftMmu::kEntryShift, false);
    as_.AluImm(kAnd, RAX, (SoftMmu::kEntries - 1) << SoftMmu::kEntryShift, false);
    as_.AluMem(kAdd, RAX, kCtx, static_cast<int32_t>(offsetof(ExecContext, tlb)));
    as_.MovRR(RCX, RSI);
    if (size > 1) as_.AluImm(kAdd, RCX, static_cast<int32_t>(size - 1));
    as_.AluImm(kAnd, RCX, static_cast<int32_t>(~kGuestPageMask));
    as_.CmpMem(RCX, RAX, write ? 8 : 0);
    const size_t miss = as_.Jcc(kNE);
    as_.MovRR(RCX, RSI);
    as_.AluMem(kAdd, RCX, RAX, 16);  // + addend: the host address
    return miss;
  }

  // A TLB miss, device access or code-page store: the SoftMmu call, emitted
  // after the block's terminal so hits fall straight through.
  struct SlowMem {
    size_t miss;    // the lookup's Jcc
    size_t resume;  // where the fast path continues
    size_t inst;
    uint64_t pc;
  };

  void EmitLoadCall(size_t i) {
    const ir::Inst& in = block_.insts[i];
    as_.MovRR(RDI, kCtx);
    Get(RSI, in.args[1]);
    as_.MovRI(RDX, in.args[0].bits());
    as_.MovRI(RCX, insn_pc_);
    CallAbs(reinterpret_cast<const void*>(&JitLoad));
    CheckPending();
    Put(i, RAX);
  }

  void EmitStoreCall(size_t i) {
    const ir::Inst& in = block_.insts[i];
    as_.MovRR(RDI, kCtx);
    Get(RSI, in.args[1]);
    Get(RDX, in.args[2]);
    as_.MovRI(RCX, in.args[0].bits());
    as_.MovRI(R8, insn_pc_);
    CallAbs(reinterpret_cast<const void*>(&JitStore));
    CheckPending();
  }

  void EmitLoad(size_t i) {
    const ir::Inst& in = block_.insts[i];
    const ir::MemOp op = ir::MemOp::Decode(in.args[0].bits());
    if (op.aligned) {  // alignment-checked loads (LR) stay out of line
      EmitLoadCall(i);
      return;
    }
    Get(RSI, in.args[1]);
    const size_t miss = TlbLookup(op.size(), false);
    const Reg dst = ResultReg(i, ir::Value());
    as_.LoadSized(dst, RCX, 0, op.size(), op.sign);
    Put(i, dst);
    slow_.push_back({miss, as_.size(), i, insn_pc_});
  }

  void EmitStore(size_t i) {
    const ir::Inst& in = block_.insts[i];
    const ir::MemOp op = ir::MemOp::Decode(in.args[0].bits());
    if (op.aligned) {
      EmitStoreCall(i);
      return;
    }
    Get(RSI, in.args[1]);
    const size_t miss = TlbLookup(op.size(), true);
    Reg src = RDX;
    if (!InReg(in.args[2], &src)) Get(RDX, in.args[2]);
    as_.StoreSized(RCX, 0, src, op.size());
    slow_.push_back({miss, as_.size(), i, insn_pc_});
  }

  void EmitSlowPaths() {
    for (const SlowMem& m : slow_) {
      as_.Bind(m.miss);
      insn_pc_ = m.pc;  // CheckPending's stub reports this instruction
      if (block_.insts[m.inst].op == Opcode::Load) {
        EmitLoadCall(m.inst);
      } else {
        EmitStoreCall(m.inst);
      }
      as_.JmpTo(m.resume);
    }
  }

  absl::Status EmitInst(size_t i) {
    const ir::Inst& in = block_.insts[i];
    const ir::Value* a = in.args;
    switch (in.op) {
      case Opcode::InsnStart: insn_pc_ = a[0].bits(); break;
      case Opcode::GetReg32:
      case Opcode::GetReg64: {
        const Reg dst = ResultReg(i, ir::Value());
        as_.Load(dst, kState, static_cast<int32_t>(a[0].bits()), in.op == Opcode::GetReg64);
        Put(i, dst);
        break;
      }
      case Opcode::SetReg32:
      case Opcode::SetReg64: {
        const bool w = in.op == Opcode::SetReg64;
        const int32_t off = static_cast<int32_t>(a[0].bits());
        int32_t imm;
        Reg r;
        if (Imm32(a[1], w, &imm)) {
          as_.StoreImm(kState, off, imm, w);
        } else if (InReg(a[1], &r)) {
          as_.Store(kState, off, r, w);
        } else {
          Get(RAX, a[1]);
          as_.Store(kState, off, RAX, w);
        }
        break;
      }
      case Opcode::Add64: Binary(i, kAdd, true); break;
      case Opcode::Sub64: Binary(i, kSub, true); break;
      case Opcode::And64: Binary(i, kAnd, true); break;
      case Opcode::Or64: Binary(i, kOr, true); break;
      case Opcode::Xor64: Binary(i, kXor, true); break;
      case Opcode::Add32: Binary(i, kAdd, false); break;
      case Opcode::Sub32: Binary(i, kSub, false); break;
      case Opcode::And32: Binary(i, kAnd, false); break;
      case Opcode::Or32: Binary(i, kOr, false); break;
      case Opcode::Xor32: Binary(i, kXor, false); break;
      case Opcode::Shl64: ShiftOp3(i, kShl, true); break;
      case Opcode::Shr64: ShiftOp3(i, kShr, true); break;
      case Opcode::Sar64: ShiftOp3(i, kSar, true); break;
      case Opcode::Shl32: ShiftOp3(i, kShl, false); break;
      case Opcode::Shr32: ShiftOp3(i, kShr, false); break;
      case Opcode::Sar32: ShiftOp3(i, kSar, false); break;
      case Opcode::Mul64:
      case Opcode::Mul32:
        Get(RAX, a[0]);
        Get(RCX, a[1]);
        as_.Imul(RAX, RCX, in.op == Opcode::Mul64);
        Put(i, RAX);
        break;
      case Opcode::MulHiS64:
      case Opcode::MulHiU64:
        Get(RAX, a[0]);
        Get(RCX, a[1]);
        as_.MulWide(in.op == Opcode::MulHiS64, RCX);
        Put(i, RDX);
        break;
      case Opcode::DivS64: Divide(i, true, false, true); break;
      case Opcode::DivU64: Divide(i, false, false, true); break;
      case Opcode::RemS64: Divide(i, true, true, true); break;
      case Opcode::RemU64: Divide(i, false, true, true); break;
      case Opcode::DivS32: Divide(i, true, false, false); break;
      case Opcode::DivU32: Divide(i, false, false, false); break;
      case Opcode::RemS32: Divide(i, true, true, false); break;
      case Opcode::RemU32: Divide(i, false, true, false); break;
      case Opcode::Clz64: CountLeadingZeros(i, true); break;
      case Opcode::Clz32: CountLeadingZeros(i, false); break;
      case Opcode::Ctz64: CountTrailingZeros(i, true); break;
      case Opcode::Ctz32: CountTrailingZeros(i, false); break;
      case Opcode::Cpop64:
      case Opcode::Cpop32:
        if (HostHasPopcnt()) {
          Get(RCX, a[0]);
          as_.Popcnt(RAX, RCX, in.op == Opcode::Cpop64);
          Put(i, RAX);
        } else {
          PureCall(i);
        }
        break;
      case Opcode::Bswap64:
        Get(RAX, a[0]);
        as_.Bswap(RAX);
        Put(i, RAX);
        break;
      case Opcode::MulHiSU64:
      case Opcode::OrcB64:
        PureCall(i);  // rare: the shared C++ definition
        break;
      case Opcode::SetCond64: {
        if (i == fused_branch_) break;  // the terminal compares and jumps
        Reg lhs = RAX;
        if (!InReg(a[1], &lhs)) Get(RAX, a[1]);
        AluWith(kCmp, lhs, a[2], true);
        const Reg dst = ResultReg(i, ir::Value());
        as_.Setcc(HostCond(static_cast<ir::Cond>(a[0].bits())), dst);
        as_.Movzx8(dst, dst);
        Put(i, dst);
        break;
      }
      case Opcode::Select64:
        Get(RAX, a[0]);
        Get(RCX, a[1]);
        Get(RDX, a[2]);
        as_.Test(RAX, RAX);
        as_.MovRR(RAX, RDX);
        as_.Cmov(kNE, RAX, RCX);
        Put(i, RAX);
        break;
      case Opcode::Trunc64To32:
      case Opcode::ZExt32To64:
        Get(RAX, a[0]);
        as_.MovRR(RAX, RAX, false);
        Put(i, RAX);
        break;
      case Opcode::SExt32To64:
        Get(RAX, a[0]);
        as_.Movsxd(RAX, RAX);
        Put(i, RAX);
        break;
      case Opcode::Load:
        EmitLoad(i);
        break;
      case Opcode::Store:
        EmitStore(i);
        break;
      case Opcode::Mb:
        if (a[0].bits() & ir::kOrderStoreLoad) as_.Mfence();
        break;
      case Opcode::AtomicCmpXchg:
      case Opcode::AtomicXchg: case Opcode::AtomicAdd: case Opcode::AtomicAnd:
      case Opcode::AtomicOr: case Opcode::AtomicXor: case Opcode::AtomicMinS:
      case Opcode::AtomicMaxS: case Opcode::AtomicMinU: case Opcode::AtomicMaxU: {
        const bool cas = in.op == Opcode::AtomicCmpXchg;
        const uint64_t aop =
            cas ? static_cast<uint64_t>(AtomicOp::kCmpXchg)
                : static_cast<uint64_t>(AtomicOp::kXchg) +
                      (static_cast<uint64_t>(in.op) - static_cast<uint64_t>(Opcode::AtomicXchg));
        as_.MovRR(RDI, kCtx);
        as_.MovRI(RSI, (aop << 8) | a[0].bits());
        Get(RDX, a[1]);
        Get(RCX, cas ? a[3] : a[2]);
        if (cas) {
          Get(R8, a[2]);
        } else {
          as_.MovRI(R8, 0);
        }
        as_.MovRI(R9, insn_pc_);
        CallAbs(reinterpret_cast<const void*>(&JitAtomic));
        CheckPending();
        Put(i, RAX);
        break;
      }
      case Opcode::CallHelper:
        as_.MovRR(RDI, kCtx);
        Get(RSI, a[1]);
        Get(RDX, a[2]);
        Get(RCX, a[3]);
        CallAbs(reinterpret_cast<const void*>(static_cast<uintptr_t>(a[0].bits())));
        CheckPending();
        Put(i, RAX);
        break;
      default:
        return absl::UnimplementedError(
            absl::StrFormat("x86-64 backend: no lowering for %s", ir::OpName(in.op)));
    }
    return absl::OkStatus();
  }

  void EmitTerminal() {
    const ir::Terminal& t = block_.terminal;
    if (block_.guest_insns != 0) {
      as_.AddMemImm(kCtx, kInsnsOffset, static_cast<int32_t>(block_.guest_insns));
    }
    switch (t.kind) {
      case ir::Terminal::Kind::kJump:
      case ir::Terminal::Kind::kNone:
        JumpTo(t.pc, 0);
        break;
      case ir::Terminal::Kind::kExit:
        // Reported through ctx->pending, since the dispatcher may have
        // entered a different block of the chain.
        as_.MovRI(RAX, t.pc);
        as_.Store(kState, pc_offset_, RAX);
        as_.Store(kCtx, kPendingPcOffset, RAX);
        as_.MovRI(RAX, t.code);
        as_.Store(kCtx, kPendingCodeOffset, RAX);
        as_.MovRI(RAX, t.aux);
        as_.Store(kCtx, kPendingAuxOffset, RAX);
        as_.MovRI(RAX, static_cast<uint64_t>(t.reason));
        as_.StoreSized(kCtx, kPendingReasonOffset, RAX, 1);
        as_.MovRI(RAX, 1);
        epilogue_jumps_.push_back(as_.Jmp());
        break;
      case ir::Terminal::Kind::kIndirect:
        Get(RAX, t.target);
        as_.Store(kState, pc_offset_, RAX);
        if (slots_ != nullptr) IndirectChain();
        as_.Alu(kXor, RAX, RAX, false);
        epilogue_jumps_.push_back(as_.Jmp());
        break;
      case ir::Terminal::Kind::kBranch: {
        size_t not_taken;
        if (fused_branch_ != kNoFusion) {
          // CMP + Jcc on the inverse condition (x86 condition codes come in
          // pairs differing in bit 0).
          const ir::Value* a = block_.insts[fused_branch_].args;
          Reg lhs = RAX;
          if (!InReg(a[1], &lhs)) Get(RAX, a[1]);
          AluWith(kCmp, lhs, a[2], true);
          not_taken = as_.Jcc(static_cast<Cond>(HostCond(static_cast<ir::Cond>(a[0].bits())) ^ 1));
        } else {
          Get(RDX, t.cond);
          as_.Test(RDX, RDX);
          not_taken = as_.Jcc(kE);
        }
        JumpTo(t.pc, 0);
        as_.Bind(not_taken);
        JumpTo(t.pc_else, 1);
        break;
      }
    }
  }

  // Indirect jump (pc in RAX, already stored): if the executor's indirect
  // cache has (pc, this block's flags) in the current link generation and
  // budget and stop flag allow, jump straight in; else fall through to a
  // plain return. Chained blocks always run under their own flags.
  void IndirectChain() {
    std::vector<size_t> miss;
    as_.Alu(kXor, RCX, RCX, false);
    as_.CmpMem(RCX, kCtx, kBudgetOffset);
    miss.push_back(as_.Jcc(kGE));
    as_.Load(RCX, kCtx, kStopFlagOffset);
    as_.CmpMem8Imm(RCX, 0, 0);
    miss.push_back(as_.Jcc(kNE));
    static_assert(sizeof(IndirectEntry) == 32 && kIndirectEntries == 1024, "index below");
    as_.MovRR(RCX, RAX);
    as_.ShiftImm(kShr, RCX, 1);
    as_.AluImm(kAnd, RCX, kIndirectEntries - 1);
    as_.ShiftImm(kShl, RCX, 5);
    as_.Load(RDX, kCtx, kIndirectCacheOffset);
    as_.Alu(kAdd, RCX, RDX);
    as_.CmpMem(RAX, RCX, offsetof(IndirectEntry, pc));
    miss.push_back(as_.Jcc(kNE));
    as_.MovRI(RDX, block_.flags);
    as_.CmpMem(RDX, RCX, offsetof(IndirectEntry, flags));
    miss.push_back(as_.Jcc(kNE));
    as_.Load(RDX, kCtx, kLinkGenOffset);
    as_.Load(RDX, RDX, 0);
    as_.CmpMem(RDX, RCX, offsetof(IndirectEntry, generation));
    miss.push_back(as_.Jcc(kNE));
    as_.Load(RAX, RCX, offsetof(IndirectEntry, entry));
    as_.DecMem(kCtx, kBudgetOffset);
    as_.AddRspImm(FrameBytes());
    as_.JmpR(RAX);
    for (size_t site : miss) as_.Bind(site);
  }

  // Stores the next pc and, when chaining is on and allowed (budget left,
  // no stop requested, slot linked in the current link generation), jumps
  // straight into the next block; otherwise returns 0 with the slot in
  // ctx->chain_slot so the dispatcher can link it.
  void JumpTo(uint64_t pc, int slot_index) {
    as_.MovRI(RAX, pc);
    as_.Store(kState, pc_offset_, RAX);
    // Only edges within the block's own virtual page chain: that page's
    // mapping was checked when the block was entered, so the target's
    // physical code is the one it was translated from under any mapping
    // (blocks are shared by harts with different address spaces).
    if (slots_ == nullptr || ((pc ^ block_.guest_pc) >> kGuestPageBits) != 0) {
      as_.Alu(kXor, RAX, RAX, false);
      epilogue_jumps_.push_back(as_.Jmp());
      return;
    }
    const uint64_t slot = reinterpret_cast<uintptr_t>(&slots_[slot_index]);
    as_.MovRI(RDX, slot);
    // Budget first: a context not run by an Executor has budget 0 and no
    // stop flag or generation pointers.
    as_.Alu(kXor, RCX, RCX, false);
    as_.CmpMem(RCX, kCtx, kBudgetOffset);
    const size_t no_budget = as_.Jcc(kGE);
    as_.Load(RCX, kCtx, kStopFlagOffset);
    as_.CmpMem8Imm(RCX, 0, 0);
    const size_t stop = as_.Jcc(kNE);
    as_.Load(RCX, kCtx, kLinkGenOffset);
    as_.Load(RCX, RCX, 0);
    as_.CmpMem(RCX, RDX, kSlotGenerationOffset);
    const size_t stale = as_.Jcc(kNE);
    as_.Load(RAX, RDX, 0);
    as_.DecMem(kCtx, kBudgetOffset);
    as_.AddRspImm(FrameBytes());
    as_.JmpR(RAX);
    as_.Bind(no_budget);
    as_.Bind(stop);
    as_.Bind(stale);
    as_.Store(kCtx, kChainSlotOffset, RDX);
    as_.Alu(kXor, RAX, RAX, false);
    epilogue_jumps_.push_back(as_.Jmp());
  }

  const ir::Block& block_;
  const Allocation& alloc_;
  const int32_t pc_offset_;
  Assembler as_;
  uint64_t insn_pc_;
  std::vector<Stub> stubs_;
  std::vector<size_t> epilogue_jumps_;
  const ChainSlot* slots_;
  size_t chain_entry_offset_ = 0;
  static constexpr size_t kNoFusion = ~size_t{0};
  size_t fused_branch_ = kNoFusion;
  std::vector<SlowMem> slow_;
};

}  // namespace

absl::StatusOr<std::vector<uint8_t>> X86Backend::Emit(const ir::Block& block,
                                                      uint32_t pc_offset) {
  absl::Status s = ir::Verify(block);
  if (!s.ok()) return s;
  Allocation alloc = AllocateRegisters(block);
  return Emitter(block, alloc, pc_offset, nullptr).Run();
}

absl::Status X86Backend::Compile(TranslationBlock& tb) {
  absl::Status s = ir::Verify(tb.block);
  if (!s.ok()) return s;
  auto slots = std::make_unique<ChainSlot[]>(2);
  Allocation alloc = AllocateRegisters(tb.block);
  Emitter emitter(tb.block, alloc, pc_offset_, chaining_ ? slots.get() : nullptr);
  absl::StatusOr<std::vector<uint8_t>> code = emitter.Run();
  if (!code.ok()) return code.status();
  absl::StatusOr<CodePlacement> placed = allocator_.Place(*code);
  if (!placed.ok()) return placed.status();
  tb.compiled = std::make_unique<CompiledX86>(*std::move(placed), std::move(slots),
                                              emitter.chain_entry_offset());
  return absl::OkStatus();
}

const void* X86Backend::ChainEntry(const TranslationBlock& tb) {
  const auto* code = static_cast<const CompiledX86*>(tb.compiled.get());
  return code != nullptr && chaining_ ? code->chain_entry : nullptr;
}

void X86Backend::Link(void* slot, const TranslationBlock& target, uint64_t link_generation) {
  auto* s = static_cast<ChainSlot*>(slot);
  const auto* code = static_cast<const CompiledX86*>(target.compiled.get());
  s->entry.store(code->chain_entry, std::memory_order_relaxed);
  s->generation.store(link_generation, std::memory_order_release);
}

ExitInfo X86Backend::Execute(const TranslationBlock& tb, ExecContext& ctx) {
  const auto* code = static_cast<const CompiledX86*>(tb.compiled.get());
  auto fn = reinterpret_cast<BlockFn>(const_cast<uint8_t*>(code->placement.entry));
  // Generated code counts retired instructions and reports exit terminals
  // through ctx.pending (the block that ended may be a chained one).
  if (fn(&ctx) != 0) {
    ExitInfo e = ctx.pending;
    ctx.pending = ExitInfo{};
    return e;
  }
  ExitInfo exit;
  std::memcpy(&exit.pc, ctx.state + ctx.pc_offset, sizeof(exit.pc));
  return exit;
}

}  // namespace tcg::x86_64
