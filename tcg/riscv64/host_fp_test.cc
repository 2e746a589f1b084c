// The host-FPU fast path must give exactly what the software IEEE core
// (ieee754.h, itself checked against the host's fenv and against QEMU)
// gives: result bits and flags, every op, both formats, the four modes x86
// has, over edge-biased random operands; with NX already accrued, the
// no-MXCSR path too.

#include "tcg/riscv64/host_fp.h"

#include <random>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"

namespace tcg::riscv64::fp {
namespace {

uint64_t Operand(std::mt19937_64& rng, Format f, uint64_t near) {
  const uint64_t emax = (uint64_t{1} << f.exp_bits) - 1;
  uint64_t frac = rng() & ((uint64_t{1} << f.frac_bits) - 1);
  if (rng() % 4 == 0) frac = rng() % 3 == 0 ? 0 : (frac | 1) & 0xffff;
  uint64_t exp;
  switch (rng() % 9) {
    case 0: exp = 0; break;
    case 1: exp = emax; break;
    case 2: exp = emax - 1 - rng() % 2; break;
    case 3: exp = 1 + rng() % 2; break;
    case 4: return near ^ (rng() & 7);
    case 5: return near ^ (uint64_t{1} << (f.exp_bits + f.frac_bits));
    default: exp = (emax >> 1) + rng() % 40 - 20; break;
  }
  return (uint64_t{rng() & 1} << (f.exp_bits + f.frac_bits)) | (exp << f.frac_bits) | frac;
}

TEST(HostFpTest, MatchesSoftwareCore) {
  std::mt19937_64 rng(42);
  int mismatches = 0;
  for (int n = 0; n < 100000 && mismatches < 10; ++n) {
    for (bool dbl : {false, true}) {
      const Format f = dbl ? kF64 : kF32;
      const uint64_t a = Operand(rng, f, 0), b = Operand(rng, f, a), c = Operand(rng, f, b);
      for (Rm rm : {kRne, kRtz, kRdn, kRup}) {
        for (HostOp op : {HostOp::kAdd, HostOp::kSub, HostOp::kMul, HostOp::kDiv, HostOp::kSqrt,
                          HostOp::kMulAdd}) {
          uint64_t got = 0;
          uint32_t got_flags = 0, want_flags = 0;
          if (!HostArith(op, dbl, a, b, c, rm, &got, &got_flags)) continue;
          uint64_t want = 0;
          switch (op) {
            case HostOp::kAdd: want = Add(f, a, b, rm, &want_flags); break;
            case HostOp::kSub: want = Sub(f, a, b, rm, &want_flags); break;
            case HostOp::kMul: want = Mul(f, a, b, rm, &want_flags); break;
            case HostOp::kDiv: want = Div(f, a, b, rm, &want_flags); break;
            case HostOp::kSqrt: want = Sqrt(f, a, rm, &want_flags); break;
            case HostOp::kMulAdd: want = MulAdd(f, a, b, c, rm, &want_flags); break;
          }
          if (got != want || got_flags != want_flags) {
            ++mismatches;
            ADD_FAILURE() << absl::StrFormat(
                "dbl=%d op=%d rm=%d a=%#x b=%#x c=%#x: host %#x/%#x soft %#x/%#x", dbl,
                static_cast<int>(op), rm, a, b, c, got, got_flags, want, want_flags);
          }
        }
      }
    }
  }
}

// With NX already accrued, RNE ops may take the no-MXCSR path: the result
// must still be the core's, and the core's flags must add nothing to what
// the caller then holds (accrued | reported).
TEST(HostFpTest, AccruedInexactPathMatchesSoftwareCore) {
  std::mt19937_64 rng(7);
  int mismatches = 0, taken = 0;
  for (int n = 0; n < 200000 && mismatches < 10; ++n) {
    for (bool dbl : {false, true}) {
      const Format f = dbl ? kF64 : kF32;
      const uint64_t a = Operand(rng, f, 0), b = Operand(rng, f, a), c = Operand(rng, f, b);
      for (HostOp op : {HostOp::kAdd, HostOp::kSub, HostOp::kMul, HostOp::kDiv, HostOp::kSqrt,
                        HostOp::kMulAdd}) {
        uint64_t got = 0;
        uint32_t got_flags = 0, want_flags = 0;
        if (!HostArith(op, dbl, a, b, c, kRne, &got, &got_flags, kNx)) continue;
        ++taken;
        uint64_t want = 0;
        switch (op) {
          case HostOp::kAdd: want = Add(f, a, b, kRne, &want_flags); break;
          case HostOp::kSub: want = Sub(f, a, b, kRne, &want_flags); break;
          case HostOp::kMul: want = Mul(f, a, b, kRne, &want_flags); break;
          case HostOp::kDiv: want = Div(f, a, b, kRne, &want_flags); break;
          case HostOp::kSqrt: want = Sqrt(f, a, kRne, &want_flags); break;
          case HostOp::kMulAdd: want = MulAdd(f, a, b, c, kRne, &want_flags); break;
        }
        if (got != want || (want_flags & ~(got_flags | kNx)) != 0) {
          ++mismatches;
          ADD_FAILURE() << absl::StrFormat(
              "dbl=%d op=%d a=%#x b=%#x c=%#x: host %#x/%#x soft %#x/%#x", dbl,
              static_cast<int>(op), a, b, c, got, got_flags, want, want_flags);
        }
      }
    }
  }
  EXPECT_GT(taken, 100000);
}

TEST(HostFpTest, DeclinesWhatTheHostCannotDo) {
  uint64_t r = 0;
  uint32_t fl = 0;
  EXPECT_FALSE(HostArith(HostOp::kAdd, true, 0, 0, 0, kRmm, &r, &fl));  // no RMM on x86
  // 0 * inf + qNaN raises NV on RISC-V only.
  EXPECT_FALSE(HostArith(HostOp::kMulAdd, true, 0, 0x7ff0000000000000, 0x7ff8000000000000,
                         kRne, &r, &fl));
}

}  // namespace
}  // namespace tcg::riscv64::fp
