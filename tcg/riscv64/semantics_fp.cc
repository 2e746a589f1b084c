// F and D: translation (IR for moves, loads, stores and sign injection) and
// the helpers that run ieee754.h for everything that rounds or raises flags.

#include "tcg/riscv64/semantics_fp.h"

#include "tcg/riscv64/csr.h"
#include "tcg/riscv64/host_fp.h"
#include "tcg/riscv64/ieee754.h"

namespace tcg::riscv64 {
namespace {

constexpr uint64_t kBox = 0xffffffff00000000;  // NaN-boxing of singles (12.2)
constexpr uint32_t kRmDynamic = 7;

CpuState& State(ExecContext* ctx) { return *reinterpret_cast<CpuState*>(ctx->state); }
Value HelperAddr(HelperFn fn) { return Value::Imm(reinterpret_cast<uintptr_t>(fn)); }
constexpr fp::Format Fmt(bool dbl) { return dbl ? fp::kF64 : fp::kF32; }

// A single whose upper 32 bits are not all ones reads as the canonical NaN.
uint64_t Unbox(bool dbl, uint64_t x) {
  if (dbl) return x;
  return (x >> 32) == 0xffffffff ? (x & 0xffffffff) : fp::CanonicalNaN(fp::kF32);
}
uint64_t Box(bool dbl, uint64_t x) { return dbl ? x : (x | kBox); }

// The rounding mode of an instruction: its rm field, or frm when rm is
// DYN. A reserved frm makes the instruction illegal (11.2); mtval = 0 is
// allowed for illegal-instruction traps (privileged spec 3.1.16).
bool ResolveRm(ExecContext* ctx, uint64_t field, fp::Rm* rm) {
  uint32_t v = static_cast<uint32_t>(field);
  if (v == kRmDynamic) v = (State(ctx).fcsr >> 5) & 7;
  if (v > fp::kRmm) {
    ctx->RaiseExit(ir::ExitReason::kException, kCauseIllegalInsn, 0);
    return false;
  }
  *rm = static_cast<fp::Rm>(v);
  return true;
}

// Accrues fflags; writing an f register or fflags makes FS Dirty (privileged
// spec 3.1.6.6), which also sets SD as mstatus reads back.
void Accrue(ExecContext* ctx, uint32_t flags, bool wrote_f) {
  CpuState& s = State(ctx);
  s.fcsr |= flags;
  if (flags != 0 || wrote_f) s.mstatus |= kMstatusFs;
}

// The guest's accrued fflags (fcsr bits 4:0).
uint32_t Accrued(ExecContext* ctx) { return State(ctx).fcsr & 0x1f; }

template <FpBinOp Op, bool D>
uint64_t BinaryHelper(ExecContext* ctx, uint64_t a, uint64_t b, uint64_t rm_field) {
  constexpr fp::Format f = Fmt(D);
  a = Unbox(D, a);
  b = Unbox(D, b);
  uint32_t flags = 0;
  fp::Rm rm = fp::kRne;
  constexpr bool kRounds = Op == FpBinOp::kAdd || Op == FpBinOp::kSub || Op == FpBinOp::kMul ||
                           Op == FpBinOp::kDiv;
  if (kRounds && !ResolveRm(ctx, rm_field, &rm)) return 0;
  uint64_t r = 0;
  bool to_f = true;
  switch (Op) {
    case FpBinOp::kAdd:
      if (!fp::HostArith(fp::HostOp::kAdd, D, a, b, 0, rm, &r, &flags, Accrued(ctx))) r = fp::Add(f, a, b, rm, &flags);
      break;
    case FpBinOp::kSub:
      if (!fp::HostArith(fp::HostOp::kSub, D, a, b, 0, rm, &r, &flags, Accrued(ctx))) r = fp::Sub(f, a, b, rm, &flags);
      break;
    case FpBinOp::kMul:
      if (!fp::HostArith(fp::HostOp::kMul, D, a, b, 0, rm, &r, &flags, Accrued(ctx))) r = fp::Mul(f, a, b, rm, &flags);
      break;
    case FpBinOp::kDiv:
      if (!fp::HostArith(fp::HostOp::kDiv, D, a, b, 0, rm, &r, &flags, Accrued(ctx))) r = fp::Div(f, a, b, rm, &flags);
      break;
    case FpBinOp::kMin: r = fp::Min(f, a, b, &flags); break;
    case FpBinOp::kMax: r = fp::Max(f, a, b, &flags); break;
    case FpBinOp::kEq: r = fp::Eq(f, a, b, &flags); to_f = false; break;
    case FpBinOp::kLt: r = fp::Lt(f, a, b, &flags); to_f = false; break;
    case FpBinOp::kLe: r = fp::Le(f, a, b, &flags); to_f = false; break;
  }
  Accrue(ctx, flags, to_f);
  return to_f ? Box(D, r) : r;
}

template <bool D>
uint64_t SqrtHelper(ExecContext* ctx, uint64_t a, uint64_t rm_field, uint64_t) {
  fp::Rm rm;
  if (!ResolveRm(ctx, rm_field, &rm)) return 0;
  uint32_t flags = 0;
  uint64_t r = 0;
  a = Unbox(D, a);
  if (!fp::HostArith(fp::HostOp::kSqrt, D, a, 0, 0, rm, &r, &flags, Accrued(ctx))) r = fp::Sqrt(Fmt(D), a, rm, &flags);
  Accrue(ctx, flags, true);
  return Box(D, r);
}

// neg: bit 0 negates the addend (FMSUB), bit 1 the product (FNMSUB); both
// for FNMADD (11.6). Sign flips are exact, so negating an input is the same
// as negating the exact product or addend.
template <bool D, int Neg, int RmField>
uint64_t FmaHelper(ExecContext* ctx, uint64_t a, uint64_t b, uint64_t c) {
  constexpr fp::Format f = Fmt(D);
  constexpr uint64_t kSign = uint64_t{1} << (f.exp_bits + f.frac_bits);
  fp::Rm rm;
  if (!ResolveRm(ctx, RmField, &rm)) return 0;
  a = Unbox(D, a);
  b = Unbox(D, b);
  c = Unbox(D, c);
  if (Neg & 2) a ^= kSign;
  if (Neg & 1) c ^= kSign;
  uint32_t flags = 0;
  uint64_t r = 0;
  if (!fp::HostArith(fp::HostOp::kMulAdd, D, a, b, c, rm, &r, &flags, Accrued(ctx))) {
    r = fp::MulAdd(f, a, b, c, rm, &flags);
  }
  Accrue(ctx, flags, true);
  return Box(D, r);
}

template <bool D>
uint64_t ClassHelper(ExecContext*, uint64_t a, uint64_t, uint64_t) {
  return fp::Classify(Fmt(D), Unbox(D, a));
}

// kind = rs2 of FCVT: 0 W, 1 WU, 2 L, 3 LU.
template <bool D>
uint64_t ToIntHelper(ExecContext* ctx, uint64_t a, uint64_t rm_field, uint64_t kind) {
  fp::Rm rm;
  if (!ResolveRm(ctx, rm_field, &rm)) return 0;
  uint32_t flags = 0;
  const uint64_t r =
      fp::ToInt(Fmt(D), Unbox(D, a), (kind & 1) == 0, (kind & 2) ? 64 : 32, rm, &flags);
  Accrue(ctx, flags, false);
  return r;
}

template <bool D>
uint64_t FromIntHelper(ExecContext* ctx, uint64_t x, uint64_t rm_field, uint64_t kind) {
  fp::Rm rm;
  if (!ResolveRm(ctx, rm_field, &rm)) return 0;
  uint32_t flags = 0;
  const uint64_t r = fp::FromInt(Fmt(D), x, (kind & 1) == 0, (kind & 2) ? 64 : 32, rm, &flags);
  Accrue(ctx, flags, true);
  return Box(D, r);
}

template <bool ToD>
uint64_t ConvertHelper(ExecContext* ctx, uint64_t a, uint64_t rm_field, uint64_t) {
  fp::Rm rm;
  if (!ResolveRm(ctx, rm_field, &rm)) return 0;
  uint32_t flags = 0;
  const uint64_t r = fp::Convert(Fmt(ToD), Fmt(!ToD), Unbox(!ToD, a), rm, &flags);
  Accrue(ctx, flags, true);
  return Box(ToD, r);
}

template <bool D, int Neg>
HelperFn FmaFor(uint32_t rm) {
  switch (rm) {
    case 0: return &FmaHelper<D, Neg, 0>;
    case 1: return &FmaHelper<D, Neg, 1>;
    case 2: return &FmaHelper<D, Neg, 2>;
    case 3: return &FmaHelper<D, Neg, 3>;
    case 4: return &FmaHelper<D, Neg, 4>;
    default: return &FmaHelper<D, Neg, kRmDynamic>;
  }
}

Value F(Translator& t, int reg) { return t.ir().GetReg64(Value::Imm(FOffset(reg))); }
void SetF(Translator& t, int reg, Value v) { t.ir().SetReg64(Value::Imm(FOffset(reg)), v); }
bool Enabled(Translator& t) { return (t.flags() & kFlagFsOn) != 0; }
uint32_t RmField(const Insn& i) { return (i.raw >> 12) & 7; }
// rm 5 and 6 are reserved (11.2).
bool RmValid(uint32_t rm) { return rm <= fp::kRmm || rm == kRmDynamic; }

// Inline f-register writes make FS Dirty unless the block is translated
// for a state where it already is.
void MarkDirty(Translator& t) {
  if (t.flags() & kFlagFsDirty) return;
  Value m = t.ir().GetReg64(Value::Imm(kMstatusOffset));
  t.ir().SetReg64(Value::Imm(kMstatusOffset), t.ir().Or64(m, Value::I64(kMstatusFs)));
}

Value UnboxIr(Translator& t, Value v) {
  Value boxed = t.ir().SetCond64(ir::Cond::kGeU, v, Value::I64(kBox));
  return t.ir().Select64(boxed, v, Value::I64(kBox | fp::CanonicalNaN(fp::kF32)));
}

}  // namespace

bool FpLoad(Translator& t, const Insn& i, bool dbl) {
  if (!Enabled(t)) return false;
  Value addr = t.ir().Add64(t.X(i.rs1), t.Imm64(i.imm));
  Value v = t.ir().Load(ir::MemOp{static_cast<uint8_t>(dbl ? 3 : 2), false, false}, addr);
  SetF(t, i.rd, dbl ? v : t.ir().Or64(v, Value::I64(kBox)));
  MarkDirty(t);
  return true;
}

// FSW stores the low 32 bits whether or not they are boxed (12.2).
bool FpStore(Translator& t, const Insn& i, bool dbl) {
  if (!Enabled(t)) return false;
  Value addr = t.ir().Add64(t.X(i.rs1), t.Imm64(i.imm));
  t.ir().Store(ir::MemOp{static_cast<uint8_t>(dbl ? 3 : 2), false, false}, addr, F(t, i.rs2));
  return true;
}

bool FpBinary(Translator& t, const Insn& i, FpBinOp op, bool dbl) {
  if (!Enabled(t) || !RmValid(RmField(i))) return false;
  HelperFn fn = nullptr;
  switch (op) {
#define FP_CASE(o) \
  case FpBinOp::o: fn = dbl ? &BinaryHelper<FpBinOp::o, true> : &BinaryHelper<FpBinOp::o, false>; break;
    FP_CASE(kAdd) FP_CASE(kSub) FP_CASE(kMul) FP_CASE(kDiv) FP_CASE(kMin) FP_CASE(kMax)
    FP_CASE(kEq) FP_CASE(kLt) FP_CASE(kLe)
#undef FP_CASE
  }
  Value r = t.ir().CallHelper(HelperAddr(fn), F(t, i.rs1), F(t, i.rs2), Value::I64(RmField(i)));
  const bool compare = op == FpBinOp::kEq || op == FpBinOp::kLt || op == FpBinOp::kLe;
  if (compare) {
    t.SetX(i.rd, r);
  } else {
    SetF(t, i.rd, r);
  }
  return true;
}

bool FpSqrt(Translator& t, const Insn& i, bool dbl) {
  if (!Enabled(t) || !RmValid(RmField(i))) return false;
  HelperFn fn = dbl ? &SqrtHelper<true> : &SqrtHelper<false>;
  SetF(t, i.rd, t.ir().CallHelper(HelperAddr(fn), F(t, i.rs1), Value::I64(RmField(i)),
                                  Value::I64(0)));
  return true;
}

bool FpFma(Translator& t, const Insn& i, int neg, bool dbl) {
  if (!Enabled(t) || !RmValid(RmField(i))) return false;
  const uint32_t rm = RmField(i);
  static HelperFn (*const kTable[2][4])(uint32_t) = {
      {&FmaFor<false, 0>, &FmaFor<false, 1>, &FmaFor<false, 2>, &FmaFor<false, 3>},
      {&FmaFor<true, 0>, &FmaFor<true, 1>, &FmaFor<true, 2>, &FmaFor<true, 3>},
  };
  HelperFn fn = kTable[dbl][neg & 3](rm);
  const int rs3 = static_cast<int>(i.raw >> 27);
  SetF(t, i.rd, t.ir().CallHelper(HelperAddr(fn), F(t, i.rs1), F(t, i.rs2), F(t, rs3)));
  return true;
}

// Sign injection is not arithmetic: no flags, NaN payloads kept (11.7).
bool FpSgnj(Translator& t, const Insn& i, SgnjOp op, bool dbl) {
  if (!Enabled(t)) return false;
  const uint64_t sign = dbl ? uint64_t{1} << 63 : uint64_t{1} << 31;
  Value a = F(t, i.rs1), b = F(t, i.rs2);
  if (!dbl) {
    a = UnboxIr(t, a);
    b = UnboxIr(t, b);
  }
  Value r;
  switch (op) {
    case SgnjOp::kCopy:
      r = t.ir().Or64(t.ir().And64(a, Value::I64(~sign)), t.ir().And64(b, Value::I64(sign)));
      break;
    case SgnjOp::kNeg:
      r = t.ir().Or64(t.ir().And64(a, Value::I64(~sign)),
                      t.ir().And64(t.ir().Xor64(b, Value::I64(sign)), Value::I64(sign)));
      break;
    case SgnjOp::kXor:
      r = t.ir().Xor64(a, t.ir().And64(b, Value::I64(sign)));
      break;
  }
  SetF(t, i.rd, dbl ? r : t.ir().Or64(r, Value::I64(kBox)));
  MarkDirty(t);
  return true;
}

bool FpClass(Translator& t, const Insn& i, bool dbl) {
  if (!Enabled(t)) return false;
  HelperFn fn = dbl ? &ClassHelper<true> : &ClassHelper<false>;
  t.SetX(i.rd, t.ir().CallHelper(HelperAddr(fn), F(t, i.rs1), Value::I64(0), Value::I64(0)));
  return true;
}

bool FpToInt(Translator& t, const Insn& i, bool dbl) {
  if (!Enabled(t) || !RmValid(RmField(i)) || i.rs2 > 3) return false;
  HelperFn fn = dbl ? &ToIntHelper<true> : &ToIntHelper<false>;
  t.SetX(i.rd, t.ir().CallHelper(HelperAddr(fn), F(t, i.rs1), Value::I64(RmField(i)),
                                 Value::I64(i.rs2)));
  return true;
}

bool FpFromInt(Translator& t, const Insn& i, bool dbl) {
  if (!Enabled(t) || !RmValid(RmField(i)) || i.rs2 > 3) return false;
  HelperFn fn = dbl ? &FromIntHelper<true> : &FromIntHelper<false>;
  SetF(t, i.rd, t.ir().CallHelper(HelperAddr(fn), t.X(i.rs1), Value::I64(RmField(i)),
                                  Value::I64(i.rs2)));
  return true;
}

bool FpCvtFormat(Translator& t, const Insn& i, bool to_double) {
  if (!Enabled(t) || !RmValid(RmField(i))) return false;
  HelperFn fn = to_double ? &ConvertHelper<true> : &ConvertHelper<false>;
  SetF(t, i.rd, t.ir().CallHelper(HelperAddr(fn), F(t, i.rs1), Value::I64(RmField(i)),
                                  Value::I64(0)));
  return true;
}

// FMV.X.W sign-extends bits 31:0, boxed or not (11.7).
bool FpMvToX(Translator& t, const Insn& i, bool dbl) {
  if (!Enabled(t)) return false;
  Value v = F(t, i.rs1);
  t.SetX(i.rd, dbl ? v : Sext32(t, Trunc(t, v)));
  return true;
}

bool FpMvFromX(Translator& t, const Insn& i, bool dbl) {
  if (!Enabled(t)) return false;
  Value v = t.X(i.rs1);
  SetF(t, i.rd, dbl ? v : t.ir().Or64(v, Value::I64(kBox)));
  MarkDirty(t);
  return true;
}

}  // namespace tcg::riscv64
