#include "tcg/riscv64/host_fp.h"

namespace tcg::riscv64::fp {

#if defined(__x86_64__)
namespace {

// MXCSR: every exception masked (bits 12:7), RC in bits 14:13 (Intel SDM
// vol. 1, 10.2.3). RC: 0 nearest-even, 1 down, 2 up, 3 toward zero.
uint32_t Mxcsr(Rm rm) {
  uint32_t rc = 0;
  switch (rm) {
    case kRne: rc = 0; break;
    case kRdn: rc = 1; break;
    case kRup: rc = 2; break;
    case kRtz: rc = 3; break;
    case kRmm: break;
  }
  return 0x1f80 | (rc << 13);
}

uint32_t FlagsFromMxcsr(uint32_t m) {
  uint32_t f = 0;
  if (m & 0x01) f |= kNv;
  if (m & 0x04) f |= kDz;
  if (m & 0x08) f |= kOf;
  if (m & 0x10) f |= kUf;
  if (m & 0x20) f |= kNx;
  return f;
}

bool HostHasFma() {
  static const bool has = __builtin_cpu_supports("fma");
  return has;
}

// The op and the read of its flags in one asm block, so the compiler
// cannot move the arithmetic away from the MXCSR it runs under.
#define HOST_BINARY(insn, a, b, out_csr)                                             \
  __asm__ volatile(insn " %[y], %[x]\n\tstmxcsr %[out]"                               \
                   : [x] "+x"(a), [out] "=m"(out_csr)                                 \
                   : [y] "x"(b))

uint32_t ReadMxcsr() {
  uint32_t m;
  __asm__ volatile("stmxcsr %0" : "=m"(m));
  return m;
}
void WriteMxcsr(uint32_t m) { __asm__ volatile("ldmxcsr %0" : : "m"(m)); }

// MXCSR control bits this thread had before its first op: the SysV ABI
// makes them callee-saved, so ops that need other ones put them back.
uint32_t ThreadControl() {
  thread_local const uint32_t control = ReadMxcsr() & ~0x3fu;
  return control;
}

template <typename T>
T FromBits(uint64_t v) {
  T t;
  if constexpr (sizeof(T) == 4) {
    const uint32_t v32 = static_cast<uint32_t>(v);
    __builtin_memcpy(&t, &v32, 4);
  } else {
    __builtin_memcpy(&t, &v, 8);
  }
  return t;
}
template <typename T>
uint64_t ToBits(T t) {
  if constexpr (sizeof(T) == 4) {
    uint32_t v;
    __builtin_memcpy(&v, &t, 4);
    return v;
  } else {
    uint64_t v;
    __builtin_memcpy(&v, &t, 8);
    return v;
  }
}

template <typename T>
uint64_t Compute(HostOp op, uint64_t a, uint64_t b, uint64_t c, uint32_t* out) {
  constexpr bool kDouble = sizeof(T) == 8;
  T x = FromBits<T>(a);
  const T y = FromBits<T>(b);
  uint32_t out_csr = 0;
  switch (op) {
    case HostOp::kAdd:
      if constexpr (kDouble) HOST_BINARY("addsd", x, y, out_csr); else HOST_BINARY("addss", x, y, out_csr);
      break;
    case HostOp::kSub:
      if constexpr (kDouble) HOST_BINARY("subsd", x, y, out_csr); else HOST_BINARY("subss", x, y, out_csr);
      break;
    case HostOp::kMul:
      if constexpr (kDouble) HOST_BINARY("mulsd", x, y, out_csr); else HOST_BINARY("mulss", x, y, out_csr);
      break;
    case HostOp::kDiv:
      if constexpr (kDouble) HOST_BINARY("divsd", x, y, out_csr); else HOST_BINARY("divss", x, y, out_csr);
      break;
    case HostOp::kSqrt: {
      // sqrt x -> x: same shape with the operand as the source.
      const T src = x;
      if constexpr (kDouble) HOST_BINARY("sqrtsd", x, src, out_csr); else HOST_BINARY("sqrtss", x, src, out_csr);
      break;
    }
    case HostOp::kMulAdd: {
      // x = x * y + z (VFMADD213: dst = dst * src2 + src3).
      const T z = FromBits<T>(c);
      if constexpr (kDouble) {
        __asm__ volatile("vfmadd213sd %[z], %[y], %[x]\n\tstmxcsr %[out]"
                         : [x] "+x"(x), [out] "=m"(out_csr)
                         : [y] "x"(y), [z] "x"(z));
      } else {
        __asm__ volatile("vfmadd213ss %[z], %[y], %[x]\n\tstmxcsr %[out]"
                         : [x] "+x"(x), [out] "=m"(out_csr)
                         : [y] "x"(y), [z] "x"(z));
      }
      break;
    }
  }
  *out = out_csr;
  return ToBits<T>(x);
}

// QEMU's "hardfloat" idea (fpu/softfloat.c): once the guest's fflags
// already hold NX, an RNE op on zero/normal inputs whose result is normal
// can raise nothing new (no NV: no inf or NaN in; no DZ: the divisor is
// checked; no OF/UF: an inf or tiny result goes the slow way; NX is
// already set), so plain host arithmetic under the thread's own RNE mode
// gives the result and MXCSR is neither written nor read.
template <typename T, typename U>
bool NativeRne(HostOp op, uint64_t a64, uint64_t b64, uint64_t* result) {
  constexpr int kBits = sizeof(U) * 8;
  constexpr U kSign = U{1} << (kBits - 1);
  constexpr U kMag = kSign - 1;
  constexpr U kExp = static_cast<U>(sizeof(U) == 8 ? 0x7ff0000000000000 : 0x7f800000);
  constexpr U kMinNormal = static_cast<U>(sizeof(U) == 8 ? 0x0010000000000000 : 0x00800000);
  const U a = static_cast<U>(a64), b = static_cast<U>(b64);
  auto zero_or_normal = [&](U v) {
    const U e = v & kExp;
    return (v & kMag) == 0 || (e != 0 && e != kExp);
  };
  if (!zero_or_normal(a) || (op != HostOp::kSqrt && !zero_or_normal(b))) return false;
  T x = FromBits<T>(a);
  const T y = FromBits<T>(b);
  switch (op) {
    case HostOp::kAdd: x = x + y; break;
    case HostOp::kSub: x = x - y; break;
    case HostOp::kMul: x = x * y; break;
    case HostOp::kDiv:
      if ((b & kMag) == 0) return false;
      x = x / y;
      break;
    case HostOp::kSqrt:
      if ((a & kSign) != 0) return false;
      if constexpr (sizeof(T) == 8) {
        __asm__("sqrtsd %1, %0" : "=x"(x) : "x"(x));
      } else {
        __asm__("sqrtss %1, %0" : "=x"(x) : "x"(x));
      }
      break;
    case HostOp::kMulAdd:
      return false;
  }
  const U r = static_cast<U>(ToBits<T>(x));
  // Zero, tiny (<= the smallest normal, as QEMU), inf or NaN: slow path.
  if ((r & kMag) <= kMinNormal || (r & kExp) == kExp) return false;
  *result = r;
  return true;
}

}  // namespace

bool HostArith(HostOp op, bool dbl, uint64_t a, uint64_t b, uint64_t c, Rm rm, uint64_t* result,
               uint32_t* flags, uint32_t accrued) {
  if (rm == kRmm) return false;
  if (rm == kRne && (accrued & kNx) != 0 && ThreadControl() == Mxcsr(kRne) &&
      (dbl ? NativeRne<double, uint64_t>(op, a, b, result)
           : NativeRne<float, uint32_t>(op, a, b, result))) {
    *flags |= kNx;  // already accrued: a no-op, kept for the contract
    return true;
  }
  const Format f = dbl ? kF64 : kF32;
  // Magnitude bits: inf is exactly the exponent mask, NaNs are above it.
  const uint64_t mag_mask = dbl ? 0x7fffffffffffffff : 0x7fffffff;
  const uint64_t inf = dbl ? 0x7ff0000000000000 : 0x7f800000;
  if (op == HostOp::kMulAdd) {
    if (!HostHasFma()) return false;
    // 0 * inf + qNaN: RISC-V raises NV, x86 does not.
    const uint64_t ma = a & mag_mask, mb = b & mag_mask;
    if ((ma == 0 && mb == inf) || (ma == inf && mb == 0)) return false;
  }
  // Reading MXCSR waits for every SSE op in flight, so each op reads it
  // once (its flags) and writes it once (mode, clean status); the thread's
  // own control bits (normally RNE, all masked) come back only when the
  // op needed others. The status bits the write clears are caller-saved.
  const uint32_t control = ThreadControl();
  const uint32_t want = Mxcsr(rm);
  WriteMxcsr(want);
  uint32_t m = 0;
  uint64_t r = dbl ? Compute<double>(op, a, b, c, &m) : Compute<float>(op, a, b, c, &m);
  if (want != control) WriteMxcsr(control);
  if ((r & mag_mask) > inf) r = CanonicalNaN(f);
  *result = r;
  *flags |= FlagsFromMxcsr(m & 0x3f);
  return true;
}

#else

bool HostArith(HostOp, bool, uint64_t, uint64_t, uint64_t, Rm, uint64_t*, uint32_t*, uint32_t) {
  return false;
}

#endif

}  // namespace tcg::riscv64::fp
