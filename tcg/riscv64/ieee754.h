#ifndef TCG_RISCV64_IEEE754_H_
#define TCG_RISCV64_IEEE754_H_

// IEEE 754-2008 binary32/binary64 arithmetic in software, with the choices
// the RISC-V F and D extensions make (unprivileged spec ch. 11-12):
// - every NaN result is the canonical NaN (0x7fc00000 / 0x7ff8000000000000);
// - tininess is detected after rounding (11.2);
// - five rounding modes including RMM, which x86 lacks;
// - conversions to integer saturate (NaN -> max) and raise NV (Table 11.4);
// - FMA sets NV for 0 * inf even with a quiet NaN addend (11.6).
// Done in software rather than with host SSE + fenv because of RMM, the
// NaN rules and x86's indefinite-integer results; every op is exact
// integer arithmetic followed by one RoundPack, so FMA rounds once.
// Values are raw bit patterns (a binary32 in the low 32 bits, no NaN-boxing
// here); accrued exception flags are ORed into *flags.

#include <cstdint>

namespace tcg::riscv64::fp {

enum Rm : uint32_t { kRne = 0, kRtz = 1, kRdn = 2, kRup = 3, kRmm = 4 };

// fflags bits (11.2).
enum Flag : uint32_t { kNx = 1, kUf = 2, kOf = 4, kDz = 8, kNv = 16 };

struct Format {
  int exp_bits;
  int frac_bits;
};
constexpr Format kF32{8, 23};
constexpr Format kF64{11, 52};

uint64_t CanonicalNaN(Format f);
bool IsNaN(Format f, uint64_t x);

uint64_t Add(Format f, uint64_t a, uint64_t b, Rm rm, uint32_t* flags);
uint64_t Sub(Format f, uint64_t a, uint64_t b, Rm rm, uint32_t* flags);
uint64_t Mul(Format f, uint64_t a, uint64_t b, Rm rm, uint32_t* flags);
uint64_t Div(Format f, uint64_t a, uint64_t b, Rm rm, uint32_t* flags);
uint64_t Sqrt(Format f, uint64_t a, Rm rm, uint32_t* flags);
// a * b + c with one rounding. FMSUB/FNMSUB/FNMADD negate c and/or the
// product before calling (sign flips are exact).
uint64_t MulAdd(Format f, uint64_t a, uint64_t b, uint64_t c, Rm rm, uint32_t* flags);

// FMIN/FMAX (11.6, the 2019 minimumNumber/maximumNumber rules): -0 < +0; one
// NaN operand yields the other; two NaNs yield the canonical NaN; NV on any
// signaling NaN.
uint64_t Min(Format f, uint64_t a, uint64_t b, uint32_t* flags);
uint64_t Max(Format f, uint64_t a, uint64_t b, uint32_t* flags);

// FEQ is quiet (NV only for signaling NaNs); FLT/FLE signal on any NaN.
bool Eq(Format f, uint64_t a, uint64_t b, uint32_t* flags);
bool Lt(Format f, uint64_t a, uint64_t b, uint32_t* flags);
bool Le(Format f, uint64_t a, uint64_t b, uint32_t* flags);

// FCLASS mask (Table 11.5).
uint64_t Classify(Format f, uint64_t a);

// Float -> integer of `bits` (32 or 64), signed or not. 32-bit results are
// returned sign-extended to 64 bits, as FCVT.W[U] writes them.
uint64_t ToInt(Format f, uint64_t a, bool is_signed, int bits, Rm rm, uint32_t* flags);
// Integer (low `bits` of v, signed or not) -> float.
uint64_t FromInt(Format f, uint64_t v, bool is_signed, int bits, Rm rm, uint32_t* flags);
// Between formats (FCVT.S.D rounds; FCVT.D.S is exact).
uint64_t Convert(Format to, Format from, uint64_t a, Rm rm, uint32_t* flags);

}  // namespace tcg::riscv64::fp

#endif  // TCG_RISCV64_IEEE754_H_
