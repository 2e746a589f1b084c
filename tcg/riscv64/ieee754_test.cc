// ieee754.h: a table of spec-defined edge cases per op, then a differential
// test against the host FPU (SSE, which also detects tininess after
// rounding) over random operands in the four rounding modes x86 has.
// RMM and whole instructions are compared against QEMU in
// tests/riscv64/fp_diff_test.

#include "tcg/riscv64/ieee754.h"

#include <cfenv>
#include <cmath>
#include <cstring>
#include <random>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"

namespace tcg::riscv64::fp {
namespace {

constexpr uint64_t kQNaN64 = 0x7ff8000000000000, kSNaN64 = 0x7ff0000000000001;
constexpr uint64_t kQNaN32 = 0x7fc00000, kSNaN32 = 0x7f800001;
constexpr uint64_t kInf64 = 0x7ff0000000000000, kNegInf64 = 0xfff0000000000000;
constexpr uint64_t kInf32 = 0x7f800000;
constexpr uint64_t kOne64 = 0x3ff0000000000000, kTwo64 = 0x4000000000000000;
constexpr uint64_t kOne32 = 0x3f800000;
constexpr uint64_t kNegZero64 = 0x8000000000000000, kNegZero32 = 0x80000000;
constexpr uint64_t kMaxFinite64 = 0x7fefffffffffffff, kMinNormal64 = 0x0010000000000000;

struct Result {
  uint64_t bits;
  uint32_t flags;
};

TEST(Ieee754Test, NaNsAreCanonicalAndSignalingNaNsRaiseInvalid) {
  uint32_t fl = 0;
  EXPECT_EQ(Add(kF64, 0xfff8000000001234, kOne64, kRne, &fl), kQNaN64);  // payload dropped
  EXPECT_EQ(fl, 0u);
  EXPECT_EQ(Add(kF64, kSNaN64, kOne64, kRne, &fl), kQNaN64);
  EXPECT_EQ(fl, uint32_t{kNv});
  fl = 0;
  EXPECT_EQ(Mul(kF32, kSNaN32, kOne32, kRne, &fl), kQNaN32);
  EXPECT_EQ(fl, uint32_t{kNv});
  fl = 0;
  EXPECT_EQ(Sub(kF64, kInf64, kInf64, kRne, &fl), kQNaN64);  // inf - inf
  EXPECT_EQ(fl, uint32_t{kNv});
  fl = 0;
  EXPECT_EQ(Mul(kF64, 0, kNegInf64, kRne, &fl), kQNaN64);  // 0 * inf
  EXPECT_EQ(fl, uint32_t{kNv});
  fl = 0;
  EXPECT_EQ(Div(kF64, 0, kNegZero64, kRne, &fl), kQNaN64);  // 0 / 0
  EXPECT_EQ(fl, uint32_t{kNv});
  fl = 0;
  EXPECT_EQ(Sqrt(kF64, 0xbff0000000000000, kRne, &fl), kQNaN64);  // sqrt(-1)
  EXPECT_EQ(fl, uint32_t{kNv});
  fl = 0;
  EXPECT_EQ(Sqrt(kF64, kNegZero64, kRne, &fl), kNegZero64);  // sqrt(-0) = -0
  EXPECT_EQ(fl, 0u);
}

TEST(Ieee754Test, DivideByZeroAndOverflow) {
  uint32_t fl = 0;
  EXPECT_EQ(Div(kF64, kOne64, kNegZero64, kRne, &fl), kNegInf64);
  EXPECT_EQ(fl, uint32_t{kDz});
  fl = 0;
  EXPECT_EQ(Div(kF64, kInf64, 0, kRne, &fl), kInf64);  // inf / 0: exact, no DZ
  EXPECT_EQ(fl, 0u);
  // Overflow: inf or the largest finite number depending on rm (7.4).
  for (auto [rm, want] : {std::pair{kRne, kInf64}, {kRmm, kInf64}, {kRtz, kMaxFinite64},
                          {kRdn, kMaxFinite64}, {kRup, kInf64}}) {
    fl = 0;
    EXPECT_EQ(Mul(kF64, kMaxFinite64, kTwo64, rm, &fl), want) << rm;
    EXPECT_EQ(fl, uint32_t{kOf | kNx}) << rm;
  }
}

TEST(Ieee754Test, TininessIsDetectedAfterRounding) {
  // (1 - 2^-28) * 2^-1022 (1 + 2^-28) = 2^-1022 (1 - 2^-56): below the
  // smallest normal, but rounds to it with an unbounded exponent (11.2).
  constexpr uint64_t a = 0x3feffffffe000000, b = 0x0010000001000000;
  uint32_t fl = 0;
  EXPECT_EQ(Mul(kF64, a, b, kRne, &fl), kMinNormal64);
  EXPECT_EQ(fl, uint32_t{kNx});  // not tiny after rounding: no UF
  fl = 0;
  EXPECT_EQ(Mul(kF64, a, b, kRtz, &fl), kMinNormal64 - 1);
  EXPECT_EQ(fl, uint32_t{kNx | kUf});
  // Exact subnormal results are tiny but not inexact: no UF.
  fl = 0;
  EXPECT_EQ(Mul(kF64, 0x0000000000000002, 0x3fe0000000000000, kRne, &fl), 1u);
  EXPECT_EQ(fl, 0u);
}

TEST(Ieee754Test, RoundToNearestMaxMagnitudeBreaksTiesAwayFromZero) {
  // 1 + 2^-24 is a tie between 1 and 1 + 2^-23 in binary32.
  const uint64_t tie = 0x3ff0000010000000;  // binary64 1 + 2^-24
  uint32_t fl = 0;
  EXPECT_EQ(Convert(kF32, kF64, tie, kRmm, &fl), 0x3f800001u);
  EXPECT_EQ(Convert(kF32, kF64, tie, kRne, &fl), 0x3f800000u);
  EXPECT_EQ(Convert(kF32, kF64, tie | kNegZero64, kRmm, &fl), 0xbf800001u);
  EXPECT_EQ(ToInt(kF64, 0x4004000000000000, true, 64, kRmm, &fl), 3u);  // 2.5 -> 3
  EXPECT_EQ(ToInt(kF64, 0x4004000000000000, true, 64, kRne, &fl), 2u);  // 2.5 -> 2
  EXPECT_EQ(ToInt(kF64, 0xc004000000000000, true, 64, kRmm, &fl), uint64_t(-3));
}

TEST(Ieee754Test, FusedMultiplyAddRoundsOnce) {
  // (1 + 2^-52)^2 - (1 + 2^-51) = 2^-104 exactly; separate rounding gives 0.
  const uint64_t x = 0x3ff0000000000001, c = 0xbff0000000000002;
  uint32_t fl = 0;
  EXPECT_EQ(MulAdd(kF64, x, x, c, kRne, &fl), 0x3970000000000000u);
  EXPECT_EQ(fl, 0u);
  // 0 * inf + qNaN is invalid (11.6).
  fl = 0;
  EXPECT_EQ(MulAdd(kF64, 0, kInf64, kQNaN64, kRne, &fl), kQNaN64);
  EXPECT_EQ(fl, uint32_t{kNv});
  // inf * 1 + -inf is invalid.
  fl = 0;
  EXPECT_EQ(MulAdd(kF64, kInf64, kOne64, kNegInf64, kRne, &fl), kQNaN64);
  EXPECT_EQ(fl, uint32_t{kNv});
  // Exact zero sums: +0 except in RDN (6.3).
  fl = 0;
  EXPECT_EQ(MulAdd(kF64, kOne64, kOne64, 0xbff0000000000000, kRne, &fl), 0u);
  EXPECT_EQ(MulAdd(kF64, kOne64, kOne64, 0xbff0000000000000, kRdn, &fl), kNegZero64);
  EXPECT_EQ(MulAdd(kF64, kNegZero64, kOne64, kNegZero64, kRne, &fl), kNegZero64);
}

TEST(Ieee754Test, MinMaxZerosAndNaNs) {
  uint32_t fl = 0;
  EXPECT_EQ(Min(kF64, 0, kNegZero64, &fl), kNegZero64);
  EXPECT_EQ(Min(kF64, kNegZero64, 0, &fl), kNegZero64);
  EXPECT_EQ(Max(kF64, kNegZero64, 0, &fl), 0u);
  EXPECT_EQ(Max(kF64, 0, kNegZero64, &fl), 0u);
  EXPECT_EQ(fl, 0u);
  EXPECT_EQ(Min(kF64, kQNaN64, kOne64, &fl), kOne64);  // one NaN: the other operand
  EXPECT_EQ(fl, 0u);
  EXPECT_EQ(Max(kF32, kOne32, kSNaN32, &fl), kOne32);
  EXPECT_EQ(fl, uint32_t{kNv});
  fl = 0;
  EXPECT_EQ(Max(kF32, 0x7fc12345, 0xffc00001, &fl), kQNaN32);  // two NaNs: canonical
  EXPECT_EQ(fl, 0u);
}

TEST(Ieee754Test, ComparisonsQuietAndSignaling) {
  uint32_t fl = 0;
  EXPECT_TRUE(Eq(kF64, 0, kNegZero64, &fl));
  EXPECT_FALSE(Eq(kF64, kQNaN64, kQNaN64, &fl));
  EXPECT_EQ(fl, 0u);  // FEQ is quiet
  EXPECT_FALSE(Eq(kF64, kSNaN64, 0, &fl));
  EXPECT_EQ(fl, uint32_t{kNv});
  fl = 0;
  EXPECT_FALSE(Lt(kF64, kQNaN64, kOne64, &fl));
  EXPECT_EQ(fl, uint32_t{kNv});  // FLT/FLE signal on quiet NaNs too
  fl = 0;
  EXPECT_TRUE(Le(kF64, kNegZero64, 0, &fl));
  EXPECT_FALSE(Lt(kF64, kNegZero64, 0, &fl));
  EXPECT_TRUE(Lt(kF64, kNegInf64, 0xffefffffffffffff, &fl));
  EXPECT_EQ(fl, 0u);
}

TEST(Ieee754Test, ClassifyEveryClass) {
  EXPECT_EQ(Classify(kF64, kNegInf64), 1u << 0);
  EXPECT_EQ(Classify(kF64, 0xbff0000000000000), 1u << 1);
  EXPECT_EQ(Classify(kF64, 0x8000000000000001), 1u << 2);
  EXPECT_EQ(Classify(kF64, kNegZero64), 1u << 3);
  EXPECT_EQ(Classify(kF64, 0), 1u << 4);
  EXPECT_EQ(Classify(kF64, 1), 1u << 5);
  EXPECT_EQ(Classify(kF64, kOne64), 1u << 6);
  EXPECT_EQ(Classify(kF64, kInf64), 1u << 7);
  EXPECT_EQ(Classify(kF64, kSNaN64), 1u << 8);
  EXPECT_EQ(Classify(kF64, kQNaN64), 1u << 9);
  EXPECT_EQ(Classify(kF32, kSNaN32), 1u << 8);
  EXPECT_EQ(Classify(kF32, kNegZero32), 1u << 3);
}

TEST(Ieee754Test, ConversionsSaturateAndFlag) {
  struct Case {
    uint64_t in;
    bool is_signed;
    int bits;
    Rm rm;
    uint64_t want;
    uint32_t flags;
  };
  const Case cases[] = {
      {kQNaN64, true, 32, kRne, 0x7fffffff, kNv},            // NaN -> max (Table 11.4)
      {kQNaN64, false, 32, kRne, 0xffffffffffffffff, kNv},   // WU max, sign-extended
      {kQNaN64, true, 64, kRne, 0x7fffffffffffffff, kNv},
      {kNegInf64, true, 64, kRne, 0x8000000000000000, kNv},
      {kNegInf64, false, 64, kRne, 0, kNv},
      {kInf64, false, 64, kRne, 0xffffffffffffffff, kNv},
      {0x41e0000000000000, true, 32, kRne, 0x7fffffff, kNv},  // 2^31
      {0xc1e0000000000000, true, 32, kRne, 0xffffffff80000000, kNv & 0},  // -2^31 fits
      {0x43e0000000000000, true, 64, kRne, 0x7fffffffffffffff, kNv},      // 2^63
      {0xc3e0000000000000, true, 64, kRne, 0x8000000000000000, 0},        // -2^63
      {0x43f0000000000000, false, 64, kRne, 0xffffffffffffffff, kNv},     // 2^64
      {0xbfe0000000000000, false, 64, kRtz, 0, kNx},  // -0.5 -> 0, only inexact
      {0xbff0000000000000, false, 64, kRtz, 0, kNv},  // -1 unsigned: invalid
      {0xbfe0000000000000, false, 64, kRdn, 0, kNv},  // -0.5 rounds to -1: invalid
      {0x3ff8000000000000, true, 64, kRup, 2, kNx},   // 1.5
      {0x3ff8000000000000, true, 64, kRdn, 1, kNx},
      {0xbff8000000000000, true, 64, kRtz, uint64_t(-1), kNx},
      {0x41dfffffffc00000, true, 32, kRne, 0x7fffffff, 0},  // 2^31 - 1 exactly
  };
  for (const Case& c : cases) {
    uint32_t fl = 0;
    EXPECT_EQ(ToInt(kF64, c.in, c.is_signed, c.bits, c.rm, &fl), c.want)
        << absl::StrFormat("%#x signed=%d bits=%d rm=%d", c.in, c.is_signed, c.bits, c.rm);
    EXPECT_EQ(fl, c.flags) << absl::StrFormat("%#x", c.in);
  }
  uint32_t fl = 0;
  EXPECT_EQ(FromInt(kF32, 0xffffffff, false, 32, kRne, &fl), 0x4f800000u);  // 2^32
  EXPECT_EQ(fl, uint32_t{kNx});
  fl = 0;
  EXPECT_EQ(FromInt(kF64, 0xffffffff, true, 32, kRne, &fl), 0xbff0000000000000u);  // -1
  EXPECT_EQ(FromInt(kF64, 0x1234ffffffff, true, 32, kRne, &fl), 0xbff0000000000000u);
  EXPECT_EQ(fl, 0u);
  EXPECT_EQ(Convert(kF64, kF32, kSNaN32, kRne, &fl), kQNaN64);
  EXPECT_EQ(fl, uint32_t{kNv});
}

// --- Differential against the host FPU ---

uint32_t HostFlags() {
  const int e = std::fetestexcept(FE_ALL_EXCEPT);
  uint32_t f = 0;
  if (e & FE_INEXACT) f |= kNx;
  if (e & FE_UNDERFLOW) f |= kUf;
  if (e & FE_OVERFLOW) f |= kOf;
  if (e & FE_DIVBYZERO) f |= kDz;
  if (e & FE_INVALID) f |= kNv;
  return f;
}

constexpr int kHostModes[][2] = {
    {kRne, FE_TONEAREST}, {kRtz, FE_TOWARDZERO}, {kRdn, FE_DOWNWARD}, {kRup, FE_UPWARD}};

// Operands that reach every path: zeros, subnormals, near-overflow,
// infinities, NaNs, values near each other (cancellation), random bits.
uint64_t RandomOperand(std::mt19937_64& rng, Format f, uint64_t near) {
  const int eb = f.exp_bits, fb = f.frac_bits;
  const uint64_t emax = (uint64_t{1} << eb) - 1;
  uint64_t frac = rng() & ((uint64_t{1} << fb) - 1);
  switch (rng() % 8) {
    case 0: frac = 0; break;
    case 1: frac = (uint64_t{1} << fb) - 1 - (rng() & 3); break;
    case 2: frac &= 0xff; break;
    default: break;
  }
  uint64_t exp;
  switch (rng() % 10) {
    case 0: exp = 0; break;
    case 1: exp = emax; break;
    case 2: exp = emax - 1 - rng() % 3; break;
    case 3: exp = 1 + rng() % 3; break;
    case 4: return near ^ (rng() & 0xf);  // neighbour of the previous operand
    case 5: return near ^ (uint64_t{1} << (eb + fb));  // its negation
    default: exp = (emax >> 1) + rng() % 64 - 32; break;
  }
  return (uint64_t{rng() & 1} << (eb + fb)) | (exp << fb) | frac;
}

template <typename T>
T FromBits(uint64_t b) {
  T v;
  if constexpr (sizeof(T) == 4) {
    const uint32_t b32 = static_cast<uint32_t>(b);
    std::memcpy(&v, &b32, 4);
  } else {
    std::memcpy(&v, &b, 8);
  }
  return v;
}
template <typename T>
uint64_t ToBits(T v) {
  if constexpr (sizeof(T) == 4) {
    uint32_t b;
    std::memcpy(&b, &v, 4);
    return b;
  } else {
    uint64_t b;
    std::memcpy(&b, &v, 8);
    return b;
  }
}

enum class Op { kAdd, kSub, kMul, kDiv, kSqrt, kFma };

template <typename T>
Result Host(Op op, uint64_t a, uint64_t b, uint64_t c) {
  volatile T x = FromBits<T>(a), y = FromBits<T>(b), z = FromBits<T>(c);
  std::feclearexcept(FE_ALL_EXCEPT);
  T r{};
  switch (op) {
    case Op::kAdd: r = x + y; break;
    case Op::kSub: r = x - y; break;
    case Op::kMul: r = x * y; break;
    case Op::kDiv: r = x / y; break;
    case Op::kSqrt: r = std::sqrt(static_cast<T>(x)); break;
    case Op::kFma: r = std::fma(static_cast<T>(x), static_cast<T>(y), static_cast<T>(z)); break;
  }
  volatile T out = r;
  return {ToBits<T>(out), HostFlags()};
}

Result Ours(Format f, Op op, uint64_t a, uint64_t b, uint64_t c, Rm rm) {
  Result r{0, 0};
  switch (op) {
    case Op::kAdd: r.bits = Add(f, a, b, rm, &r.flags); break;
    case Op::kSub: r.bits = Sub(f, a, b, rm, &r.flags); break;
    case Op::kMul: r.bits = Mul(f, a, b, rm, &r.flags); break;
    case Op::kDiv: r.bits = Div(f, a, b, rm, &r.flags); break;
    case Op::kSqrt: r.bits = Sqrt(f, a, rm, &r.flags); break;
    case Op::kFma: r.bits = MulAdd(f, a, b, c, rm, &r.flags); break;
  }
  return r;
}

template <typename T>
void DiffAgainstHost(Format f, int iterations) {
  std::mt19937_64 rng(0x5eed + f.frac_bits);
  int mismatches = 0;
  for (int n = 0; n < iterations && mismatches < 10; ++n) {
    const uint64_t a = RandomOperand(rng, f, 0);
    const uint64_t b = RandomOperand(rng, f, a);
    const uint64_t c = RandomOperand(rng, f, ToBits<T>(FromBits<T>(a) * FromBits<T>(b)));
    for (Op op : {Op::kAdd, Op::kSub, Op::kMul, Op::kDiv, Op::kSqrt, Op::kFma}) {
      for (const auto& mode : kHostModes) {
        std::fesetround(mode[1]);
        const Result want = Host<T>(op, a, b, c);
        std::fesetround(FE_TONEAREST);
        const Result got = Ours(f, op, a, b, c, static_cast<Rm>(mode[0]));
        // x86 FMA does not signal 0 * inf + qNaN; RISC-V does (covered above).
        const bool zero_times_inf =
            op == Op::kFma && IsNaN(f, c) &&
            ((Classify(f, a) & 0x18 && Classify(f, b) & 0x81) ||
             (Classify(f, a) & 0x81 && Classify(f, b) & 0x18));
        if (zero_times_inf) continue;
        const bool host_nan = IsNaN(f, want.bits);
        const bool same = host_nan ? got.bits == CanonicalNaN(f) : got.bits == want.bits;
        if (!same || got.flags != want.flags) {
          ++mismatches;
          ADD_FAILURE() << absl::StrFormat(
              "fmt=%d op=%d rm=%d a=%#x b=%#x c=%#x: host %#x flags %#x, ours %#x flags %#x",
              f.frac_bits, static_cast<int>(op), mode[0], a, b, c, want.bits, want.flags,
              got.bits, got.flags);
        }
      }
    }
  }
}

TEST(Ieee754DiffTest, Binary32MatchesHost) { DiffAgainstHost<float>(kF32, 200000); }
TEST(Ieee754DiffTest, Binary64MatchesHost) { DiffAgainstHost<double>(kF64, 200000); }

// Conversions: the host's nearbyint in each mode gives the rounded integer;
// range and flags follow Table 11.4.
TEST(Ieee754DiffTest, ConversionsMatchHostRounding) {
  std::mt19937_64 rng(7);
  for (int n = 0; n < 200000; ++n) {
    uint64_t a = RandomOperand(rng, kF64, 0);
    if (n % 2) a = (a & 0x800fffffffffffff) | ((1023 + rng() % 70) << 52);  // integer range
    const double x = FromBits<double>(a);
    for (const auto& mode : kHostModes) {
      std::fesetround(mode[1]);
      const double r = std::nearbyint(x);
      std::fesetround(FE_TONEAREST);
      for (int kind = 0; kind < 4; ++kind) {
        const bool is_signed = (kind & 1) == 0;
        const int bits = kind & 2 ? 64 : 32;
        const double lo = is_signed ? -std::ldexp(1.0, bits - 1) : 0.0;
        const double hi = is_signed ? std::ldexp(1.0, bits - 1) : std::ldexp(1.0, bits);
        uint32_t want_flags = 0;
        uint64_t want = 0;
        if (std::isnan(x) || r < lo || r >= hi) {
          want_flags = kNv;
          const bool neg = !std::isnan(x) && std::signbit(x);
          if (is_signed) {
            want = neg ? uint64_t{1} << (bits - 1) : (uint64_t{1} << (bits - 1)) - 1;
          } else {
            want = neg ? 0 : ~uint64_t{0} >> (64 - bits);
          }
        } else {
          want = r < 0 ? static_cast<uint64_t>(static_cast<int64_t>(r))
                       : static_cast<uint64_t>(r);
          if (r != x) want_flags = kNx;
        }
        if (bits == 32) want = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(want)));
        uint32_t fl = 0;
        const uint64_t got = ToInt(kF64, a, is_signed, bits, static_cast<Rm>(mode[0]), &fl);
        ASSERT_EQ(got, want) << absl::StrFormat("a=%#x kind=%d rm=%d", a, kind, mode[0]);
        ASSERT_EQ(fl, want_flags) << absl::StrFormat("a=%#x kind=%d rm=%d", a, kind, mode[0]);
      }
      // Integer -> float and double -> float against host conversions.
      const int64_t i = static_cast<int64_t>(rng()) >> (rng() % 64);
      std::fesetround(mode[1]);
      std::feclearexcept(FE_ALL_EXCEPT);
      volatile int64_t vi = i;
      volatile float hf = static_cast<float>(vi);
      const uint32_t hflags = HostFlags();
      std::feclearexcept(FE_ALL_EXCEPT);
      volatile double vx = x;
      volatile float hc = static_cast<float>(vx);
      const uint32_t cflags = HostFlags();
      std::fesetround(FE_TONEAREST);
      uint32_t fl = 0;
      ASSERT_EQ(FromInt(kF32, static_cast<uint64_t>(i), true, 64, static_cast<Rm>(mode[0]), &fl),
                ToBits<float>(hf)) << i;
      ASSERT_EQ(fl, hflags) << i;
      fl = 0;
      const uint64_t got = Convert(kF32, kF64, a, static_cast<Rm>(mode[0]), &fl);
      if (std::isnan(x)) {
        ASSERT_EQ(got, kQNaN32);
      } else {
        ASSERT_EQ(got, ToBits<float>(hc)) << absl::StrFormat("a=%#x rm=%d", a, mode[0]);
      }
      ASSERT_EQ(fl, cflags) << absl::StrFormat("a=%#x rm=%d", a, mode[0]);
    }
  }
}

}  // namespace
}  // namespace tcg::riscv64::fp
