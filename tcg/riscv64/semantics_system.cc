// FENCE, FENCE.I, ECALL/EBREAK, MRET, WFI, Zicsr and SC: the instructions
// that need helpers or end the block.

#include <thread>

#include "tcg/riscv64/csr.h"
#include "tcg/riscv64/semantics.h"
#include "tcg/riscv64/vcpu.h"
#include "tcg/runtime/softmmu.h"

namespace tcg::riscv64 {
namespace {

CpuState& State(ExecContext* ctx) { return *reinterpret_cast<CpuState*>(ctx->state); }
Vcpu& Hart(ExecContext* ctx) { return *static_cast<Vcpu*>(ctx->frontend); }

Value HelperAddr(HelperFn fn) { return Value::Imm(reinterpret_cast<uintptr_t>(fn)); }

// a = csr | op << 12 | read << 14 | write << 15; b = operand; c = raw insn.
uint64_t CsrHelper(ExecContext* ctx, uint64_t a, uint64_t b, uint64_t c) {
  CpuState& s = State(ctx);
  const uint32_t csr = a & 0xfff;
  const auto op = static_cast<CsrOp>((a >> 12) & 3);
  const bool write = (a >> 15) & 1;
  uint64_t old = 0;
  Vcpu& hart = Hart(ctx);
  if (!CsrAccessible(s, csr, write) || !ReadCsr(s, ctx->insns_retired, hart.pins(), csr, &old)) {
    ctx->RaiseExit(ir::ExitReason::kException, kCauseIllegalInsn, c);
    return 0;
  }
  if (csr == 0xc01) old = hart.Time();  // time: the platform timer (mtime)
  if (write) {
    uint64_t v = b;
    // CSRRS/CSRRC on mip modify the software-writable bits only: the read
    // value includes device-driven pins (SEIP, MTIP...), which must not be
    // latched into mip.SEIP (privileged spec 3.1.9).
    const uint64_t base = csr == 0x344 ? (s.mip & kSInterrupts) : old;
    if (op == CsrOp::kSet) v = base | b;
    if (op == CsrOp::kClear) v = base & ~b;
    const uint64_t satp = s.satp, mstatus = s.mstatus;
    WriteCsr(s, csr, v);
    // The write may enable an interrupt, change translation flags (TVM,
    // TW, TSR) or the address space: leave the dispatch loop after this
    // block (which ends right after the CSR instruction) so the hart
    // rechecks interrupts, flags and the TLB.
    // satp and mstatus.MPRV/MPP/SUM/MXR decide translation (mmu.h).
    // (MPP matters only while MPRV is set.)
    const uint64_t changed = s.mstatus ^ mstatus;
    const bool mprv = (s.mstatus | mstatus) & kMstatusMprv;
    if (s.satp != satp || (changed & (kMstatusSum | kMstatusMxr)) ||
        (mprv && (changed & (kMstatusMprv | kMstatusMpp)))) {
      hart.RequestTlbFlush();
    }
    hart.Kick();
  }
  return old;
}

// xRET changes privilege (translation flags, address translation) and may
// unmask interrupts: leave the dispatch loop after it. The TLB bank follows
// the privilege (Vcpu::Run); a flush is needed only when MPRV was set, as
// M-mode entries were then filled under MPP's translation (and MRET to a
// lower mode clears MPRV, privileged spec 3.1.6.3).
uint64_t MretHelper(ExecContext* ctx, uint64_t, uint64_t, uint64_t) {
  Hart(ctx).Kick();
  if (State(ctx).mstatus & kMstatusMprv) Hart(ctx).RequestTlbFlush();
  return ReturnFromMTrap(State(ctx));
}

uint64_t SretHelper(ExecContext* ctx, uint64_t, uint64_t, uint64_t) {
  Hart(ctx).Kick();
  if (State(ctx).mstatus & kMstatusMprv) Hart(ctx).RequestTlbFlush();
  return ReturnFromSTrap(State(ctx));
}

// SFENCE.VMA: flushes the whole TLB (a legal over-approximation of the
// by-address/by-ASID forms, spec 4.2.1).
uint64_t SfenceHelper(ExecContext* ctx, uint64_t, uint64_t, uint64_t) {
  Hart(ctx).RequestTlbFlush();
  Hart(ctx).Kick();
  return 0;
}

// SC.W/SC.D (8.2): succeeds only if this hart holds a reservation on exactly
// `addr` and memory still holds the value LR read, checked and stored by one
// host compare-and-swap. Like QEMU, this accepts an ABA change of the value
// as "no intervening store"; it can never livelock, since a CAS only fails
// when another hart's store succeeded. Any SC clears the reservation.
uint64_t ScHelper(ExecContext* ctx, uint64_t addr, uint64_t value, uint64_t log2) {
  CpuState& s = State(ctx);
  const uint64_t res_addr = s.res_addr;
  s.res_addr = kNoReservation;
  const uint64_t size = uint64_t{1} << log2;
  if ((addr & (size - 1)) != 0) {
    ctx->RaiseExit(ir::ExitReason::kException, kCauseStoreMisaligned, addr);
    return 1;
  }
  if (addr != res_addr) return 1;
  uint64_t old = 0;
  MemFault fault;
  const ir::MemOp op{static_cast<uint8_t>(log2), true, true};
  if (!ctx->mmu->Atomic(AtomicOp::kCmpXchg, addr, op, value, s.res_val, &old, &fault)) {
    const uint64_t cause = fault.page_fault   ? kCauseStorePageFault
                           : fault.misaligned ? kCauseStoreMisaligned
                                              : kCauseStoreAccessFault;
    ctx->RaiseExit(ir::ExitReason::kException, cause, addr);
    return 1;
  }
  return old == s.res_val ? 0 : 1;
}

// PAUSE (Zihintpause): a spin-wait hint. With more harts than host CPUs
// the lock holder may be descheduled; yielding the host thread lets it run.
uint64_t PauseHelper(ExecContext*, uint64_t, uint64_t, uint64_t) {
  std::this_thread::yield();
  return 0;
}

}  // namespace

bool StoreConditional(Translator& t, const Insn& i, uint8_t log2) {
  AmoBefore(t, i);
  Value r = t.ir().CallHelper(HelperAddr(&ScHelper), t.X(i.rs1), t.X(i.rs2),
                              Value::I64(log2));
  AmoAfter(t, i);
  t.SetX(i.rd, r);
  return true;
}

// FENCE pred/succ (2.7): I and O are folded into R and W since device
// accesses are synchronous calls, already ordered with everything else.
bool Fence(Translator& t, const Insn& i) {
  const uint32_t fm = (i.imm >> 8) & 0xf;
  const uint32_t pred = (i.imm >> 4) & 0xf, succ = i.imm & 0xf;
  // PAUSE is FENCE with fm=0, pred=W, succ=0, rs1=rd=0 (Zihintpause).
  if (fm == 0 && pred == 1 && succ == 0 && i.rs1 == 0 && i.rd == 0) {
    t.ir().CallHelper(HelperAddr(&PauseHelper), Value::I64(0), Value::I64(0), Value::I64(0));
    return true;
  }
  const bool pr = pred & 0xa, pw = pred & 0x5;  // bits: I O R W
  const bool sr = succ & 0xa, sw = succ & 0x5;
  uint8_t o = 0;
  if (pr && sr) o |= ir::kOrderLoadLoad;
  if (pr && sw) o |= ir::kOrderLoadStore;
  if (pw && sr) o |= ir::kOrderStoreLoad;
  if (pw && sw) o |= ir::kOrderStoreStore;
  // FENCE.TSO (fm=1000, RW,RW) orders all but store->load (2.7).
  if (fm == 0x8 && (pred & 3) == 3 && (succ & 3) == 3) {
    o = ir::kOrderLoadLoad | ir::kOrderLoadStore | ir::kOrderStoreStore;
  }
  if (o != 0) t.ir().Mb(o);
  return true;
}

// FENCE.I: this hart's later fetches must see its earlier stores (Zifencei,
// ch. 3). Stores already invalidate code pages; the exit lets the
// dispatcher drop the translations whose bytes changed (TbCache::
// FlushChanged), which also covers device DMA into code.
bool FenceI(Translator& t, const Insn& i) {
  t.End(ir::Terminal::Exit(ir::ExitReason::kFlushCode, i.pc + i.len));
  return true;
}

// ECALL's cause names the privilege it came from (8 U, 9 S, 11 M); the
// privilege is part of the translation flags.
bool Ecall(Translator& t, const Insn& i) {
  const uint64_t cause = kCauseEcallU + (t.flags() & kFlagPrivMask);
  t.End(ir::Terminal::Exit(ir::ExitReason::kException, i.pc, cause, 0));
  return true;
}

bool Ebreak(Translator& t, const Insn& i) {
  t.End(ir::Terminal::Exit(ir::ExitReason::kException, i.pc, kCauseBreakpoint, i.pc));
  return true;
}

// MRET needs M; SRET needs S or M and, in S, mstatus.TSR clear (spec
// 3.1.6.5). Illegal otherwise (handler returns false).
bool Mret(Translator& t, const Insn&) {
  if ((t.flags() & kFlagPrivMask) != kPrivM) return false;
  Value pc = t.ir().CallHelper(HelperAddr(&MretHelper), Value::I64(0), Value::I64(0),
                               Value::I64(0));
  t.End(ir::Terminal::Indirect(pc));
  return true;
}

bool Sret(Translator& t, const Insn&) {
  const uint32_t priv = t.flags() & kFlagPrivMask;
  if (priv < kPrivS || (priv == kPrivS && (t.flags() & kFlagTsr))) return false;
  Value pc = t.ir().CallHelper(HelperAddr(&SretHelper), Value::I64(0), Value::I64(0),
                               Value::I64(0));
  t.End(ir::Terminal::Indirect(pc));
  return true;
}

// SFENCE.VMA: S or M, and not in S with mstatus.TVM (spec 3.1.6.5).
bool SfenceVma(Translator& t, const Insn& i) {
  const uint32_t priv = t.flags() & kFlagPrivMask;
  if (priv < kPrivS || (priv == kPrivS && (t.flags() & kFlagTvm))) return false;
  t.ir().CallHelper(HelperAddr(&SfenceHelper), Value::I64(0), Value::I64(0), Value::I64(0));
  t.End(ir::Terminal::Jump(i.pc + i.len));
  return true;
}

// WFI (spec 3.3.3): illegal in U-mode, and in S-mode with mstatus.TW (we
// take the "no time limit" choice). Otherwise the hart idles until an
// interrupt is pending (Vcpu::WaitForInterrupt).
bool Wfi(Translator& t, const Insn& i) {
  const uint32_t priv = t.flags() & kFlagPrivMask;
  if (priv == kPrivU || (priv == kPrivS && (t.flags() & kFlagTw))) return false;
  t.End(ir::Terminal::Exit(ir::ExitReason::kHalt, i.pc + i.len));
  return true;
}

// Zicsr (9.1): CSRRW reads only if rd != x0; CSRRS/CSRRC write only if the
// operand register (or uimm) is nonzero, so read-only CSRs stay readable.
bool CsrAccess(Translator& t, const Insn& i, CsrOp op, bool imm) {
  const bool write = op == CsrOp::kWrite || i.rs1 != 0;
  const bool read = op != CsrOp::kWrite || i.rd != 0;
  const uint64_t a = (i.imm & 0xfff) | (static_cast<uint64_t>(op) << 12) |
                     (uint64_t{read} << 14) | (uint64_t{write} << 15);
  Value src = imm ? Value::I64(i.rs1) : t.X(i.rs1);
  Value old = t.ir().CallHelper(HelperAddr(&CsrHelper), Value::I64(a), src, Value::I64(i.raw));
  t.SetX(i.rd, old);
  // CSR writes can change state later translation depends on; resync.
  t.End(ir::Terminal::Jump(i.pc + i.len));
  return true;
}

}  // namespace tcg::riscv64
