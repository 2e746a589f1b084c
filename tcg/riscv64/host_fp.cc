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

// One asm block per op: save MXCSR, load ours, compute, read the flags,
// restore; so the compiler cannot move the arithmetic outside the window.
#define HOST_BINARY(insn, a, b, csr, out_csr)                                        \
  __asm__ volatile(                                                                  \
      "stmxcsr %[saved]\n\t"                                                         \
      "ldmxcsr %[in]\n\t" insn " %[y], %[x]\n\t"                                     \
      "stmxcsr %[out]\n\t"                                                           \
      "ldmxcsr %[saved]"                                                             \
      : [x] "+x"(a), [out] "=m"(out_csr), [saved] "=m"(saved)                        \
      : [y] "x"(b), [in] "m"(csr))

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
uint64_t Compute(HostOp op, uint64_t a, uint64_t b, uint64_t c, uint32_t csr, uint32_t* out) {
  constexpr bool kDouble = sizeof(T) == 8;
  T x = FromBits<T>(a);
  const T y = FromBits<T>(b);
  uint32_t saved = 0, out_csr = 0;
  switch (op) {
    case HostOp::kAdd:
      if constexpr (kDouble) HOST_BINARY("addsd", x, y, csr, out_csr); else HOST_BINARY("addss", x, y, csr, out_csr);
      break;
    case HostOp::kSub:
      if constexpr (kDouble) HOST_BINARY("subsd", x, y, csr, out_csr); else HOST_BINARY("subss", x, y, csr, out_csr);
      break;
    case HostOp::kMul:
      if constexpr (kDouble) HOST_BINARY("mulsd", x, y, csr, out_csr); else HOST_BINARY("mulss", x, y, csr, out_csr);
      break;
    case HostOp::kDiv:
      if constexpr (kDouble) HOST_BINARY("divsd", x, y, csr, out_csr); else HOST_BINARY("divss", x, y, csr, out_csr);
      break;
    case HostOp::kSqrt: {
      // sqrt x -> x: same shape with the operand as the source.
      const T src = x;
      if constexpr (kDouble) HOST_BINARY("sqrtsd", x, src, csr, out_csr); else HOST_BINARY("sqrtss", x, src, csr, out_csr);
      break;
    }
    case HostOp::kMulAdd: {
      // x = x * y + z (VFMADD213: dst = dst * src2 + src3).
      const T z = FromBits<T>(c);
      if constexpr (kDouble) {
        __asm__ volatile(
            "stmxcsr %[saved]\n\tldmxcsr %[in]\n\t"
            "vfmadd213sd %[z], %[y], %[x]\n\t"
            "stmxcsr %[out]\n\tldmxcsr %[saved]"
            : [x] "+x"(x), [out] "=m"(out_csr), [saved] "=m"(saved)
            : [y] "x"(y), [z] "x"(z), [in] "m"(csr));
      } else {
        __asm__ volatile(
            "stmxcsr %[saved]\n\tldmxcsr %[in]\n\t"
            "vfmadd213ss %[z], %[y], %[x]\n\t"
            "stmxcsr %[out]\n\tldmxcsr %[saved]"
            : [x] "+x"(x), [out] "=m"(out_csr), [saved] "=m"(saved)
            : [y] "x"(y), [z] "x"(z), [in] "m"(csr));
      }
      break;
    }
  }
  *out = out_csr;
  return ToBits<T>(x);
}

}  // namespace

bool HostArith(HostOp op, bool dbl, uint64_t a, uint64_t b, uint64_t c, Rm rm, uint64_t* result,
               uint32_t* flags) {
  if (rm == kRmm) return false;
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
  uint32_t m = 0;
  uint64_t r = dbl ? Compute<double>(op, a, b, c, Mxcsr(rm), &m)
                   : Compute<float>(op, a, b, c, Mxcsr(rm), &m);
  if ((r & mag_mask) > inf) r = CanonicalNaN(f);
  *result = r;
  *flags |= FlagsFromMxcsr(m & 0x3f);
  return true;
}

#else

bool HostArith(HostOp, bool, uint64_t, uint64_t, uint64_t, Rm, uint64_t*, uint32_t*) {
  return false;
}

#endif

}  // namespace tcg::riscv64::fp
