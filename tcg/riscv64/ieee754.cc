#include "tcg/riscv64/ieee754.h"

#include <algorithm>
#include <utility>

namespace tcg::riscv64::fp {
namespace {

using u128 = unsigned __int128;

struct Params {
  int p;          // precision: frac_bits + 1
  int bias;
  int emin;       // exponent of the smallest normal
  uint64_t emask; // all-ones biased exponent
  uint64_t fmask;
  int sign_shift;
};

Params P(Format f) {
  Params p;
  p.p = f.frac_bits + 1;
  p.bias = (1 << (f.exp_bits - 1)) - 1;
  p.emin = 1 - p.bias;
  p.emask = (uint64_t{1} << f.exp_bits) - 1;
  p.fmask = (uint64_t{1} << f.frac_bits) - 1;
  p.sign_shift = f.exp_bits + f.frac_bits;
  return p;
}

enum class Kind { kZero, kFinite, kInf, kNaN };

// value = (-1)^sign * sig * 2^exp for finite values.
struct Unpacked {
  Kind kind;
  bool sign;
  bool snan;
  u128 sig;
  int exp;
};

Unpacked Unpack(Format f, uint64_t x) {
  const Params p = P(f);
  Unpacked u{Kind::kFinite, ((x >> p.sign_shift) & 1) != 0, false, 0, 0};
  const uint64_t e = (x >> f.frac_bits) & p.emask;
  const uint64_t frac = x & p.fmask;
  if (e == p.emask) {
    u.kind = frac != 0 ? Kind::kNaN : Kind::kInf;
    u.snan = frac != 0 && ((frac >> (f.frac_bits - 1)) & 1) == 0;
  } else if (e == 0) {
    u.kind = frac == 0 ? Kind::kZero : Kind::kFinite;
    u.sig = frac;
    u.exp = p.emin - f.frac_bits;
  } else {
    u.sig = frac | (uint64_t{1} << f.frac_bits);
    u.exp = static_cast<int>(e) - p.bias - f.frac_bits;
  }
  return u;
}

uint64_t SignBit(Format f, bool sign) { return uint64_t{sign} << P(f).sign_shift; }
uint64_t Zero(Format f, bool sign) { return SignBit(f, sign); }
uint64_t Inf(Format f, bool sign) {
  return SignBit(f, sign) | (P(f).emask << f.frac_bits);
}

int BitLen(u128 v) {
  const uint64_t hi = static_cast<uint64_t>(v >> 64);
  if (hi != 0) return 128 - __builtin_clzll(hi);
  const uint64_t lo = static_cast<uint64_t>(v);
  return lo == 0 ? 0 : 64 - __builtin_clzll(lo);
}

u128 LowMask(int n) { return n >= 128 ? ~u128{0} : (u128{1} << n) - 1; }

// v / 2^shift rounded to an integer per rm (sign = sign of the value).
u128 ShiftRound(u128 v, int shift, bool sign, Rm rm, bool* inexact) {
  if (shift <= 0) {
    *inexact = false;
    return v << -shift;
  }
  if (shift > 128) {  // only a sticky bit survives
    v = v != 0;
    shift = 128;
  }
  const u128 q = shift == 128 ? 0 : v >> shift;
  const u128 rem = v & LowMask(shift);
  const u128 half = u128{1} << (shift - 1);
  *inexact = rem != 0;
  bool up = false;
  switch (rm) {
    case kRne: up = rem > half || (rem == half && (q & 1)); break;
    case kRmm: up = rem >= half; break;
    case kRtz: up = false; break;
    case kRdn: up = rem != 0 && sign; break;
    case kRup: up = rem != 0 && !sign; break;
  }
  return q + up;
}

// Rounds the exact nonzero value (-1)^sign * sig * 2^exp to the format
// (IEEE 754 4.3, 7.4-7.6): overflow to inf or max finite by rm; underflow
// when the result is tiny after rounding (as if the exponent were
// unbounded) and inexact.
uint64_t RoundPack(Format f, bool sign, u128 sig, int exp, Rm rm, uint32_t* flags) {
  const Params p = P(f);
  const int n = BitLen(sig);
  const int e = exp + n - 1;  // exponent of the leading bit
  bool tiny = false;
  if (e < p.emin) {
    bool unused;
    const u128 r = ShiftRound(sig, n - p.p, sign, rm, &unused);
    tiny = e + (BitLen(r) > p.p ? 1 : 0) < p.emin;
  }
  int lsb_exp = std::max(e, p.emin) - (p.p - 1);
  bool inexact = false;
  u128 r = ShiftRound(sig, lsb_exp - exp, sign, rm, &inexact);
  if (r >> p.p) {  // rounding carried out: r == 2^p
    r >>= 1;
    ++lsb_exp;
  }
  if (inexact) *flags |= kNx | (tiny ? uint32_t{kUf} : 0u);
  if (r == 0) return Zero(f, sign);
  const bool normal = (r >> (p.p - 1)) & 1;
  const int64_t biased = normal ? lsb_exp + (p.p - 1) + p.bias : 0;
  if (biased >= static_cast<int64_t>(p.emask)) {
    *flags |= kOf | kNx;
    const bool to_inf = rm == kRne || rm == kRmm || (rm == kRup && !sign) || (rm == kRdn && sign);
    return to_inf ? Inf(f, sign)
                  : SignBit(f, sign) | ((p.emask - 1) << f.frac_bits) | p.fmask;
  }
  return SignBit(f, sign) | (static_cast<uint64_t>(biased) << f.frac_bits) |
         (static_cast<uint64_t>(r) & p.fmask);
}

// Exact sum of two finite values (sig may be 0), then one rounding. The
// operand with the larger top bit is shifted so that bit is bit 125; the
// other is aligned to it, its bits below bit 0 folded into a sticky bit,
// which then lies ~70 bits under the rounding point.
uint64_t AddExact(Format f, bool sa, u128 ma, int ea, bool sb, u128 mb, int eb, Rm rm,
                  uint32_t* flags) {
  if (ma == 0 && mb == 0) return Zero(f, sa == sb ? sa : rm == kRdn);
  if (ma == 0) return RoundPack(f, sb, mb, eb, rm, flags);
  if (mb == 0) return RoundPack(f, sa, ma, ea, rm, flags);
  if (eb + BitLen(mb) > ea + BitLen(ma)) {
    std::swap(sa, sb);
    std::swap(ma, mb);
    std::swap(ea, eb);
  }
  const int ka = 126 - BitLen(ma);
  ma <<= ka;
  ea -= ka;
  const int d = eb - ea;
  if (d >= 0) {
    mb <<= d;
  } else if (-d >= 128) {
    mb = 1;  // nonzero, entirely below bit 0
  } else {
    const bool sticky = (mb & LowMask(-d)) != 0;
    mb = (mb >> -d) | sticky;
  }
  u128 m;
  bool s;
  if (sa == sb) {
    m = ma + mb;
    s = sa;
  } else if (ma >= mb) {
    m = ma - mb;
    s = sa;
  } else {
    m = mb - ma;
    s = sb;
  }
  // Exact cancellation gives +0, or -0 when rounding down (IEEE 6.3).
  if (m == 0) return Zero(f, rm == kRdn);
  return RoundPack(f, s, m, ea, rm, flags);
}

// NaN operands: canonical NaN result; NV if any is signaling.
bool PropagateNaN(const Unpacked& a, const Unpacked& b, uint32_t* flags) {
  if (a.snan || b.snan) *flags |= kNv;
  return a.kind == Kind::kNaN || b.kind == Kind::kNaN;
}

uint64_t Invalid(Format f, uint32_t* flags) {
  *flags |= kNv;
  return CanonicalNaN(f);
}

uint64_t AddImpl(Format f, Unpacked a, Unpacked b, Rm rm, uint32_t* flags) {
  if (PropagateNaN(a, b, flags)) return CanonicalNaN(f);
  if (a.kind == Kind::kInf || b.kind == Kind::kInf) {
    if (a.kind == Kind::kInf && b.kind == Kind::kInf && a.sign != b.sign) return Invalid(f, flags);
    return Inf(f, a.kind == Kind::kInf ? a.sign : b.sign);
  }
  return AddExact(f, a.sign, a.sig, a.exp, b.sign, b.sig, b.exp, rm, flags);
}

// Total order key of a non-NaN value: -0 and +0 equal.
int64_t OrderKey(Format f, uint64_t x) {
  const Params p = P(f);
  const int64_t mag = static_cast<int64_t>(x & ~SignBit(f, true) & ((SignBit(f, true) << 1) - 1));
  return ((x >> p.sign_shift) & 1) ? -mag : mag;
}

uint64_t MinMax(Format f, uint64_t a, uint64_t b, bool max, uint32_t* flags) {
  const Unpacked ua = Unpack(f, a), ub = Unpack(f, b);
  if (ua.snan || ub.snan) *flags |= kNv;
  const bool na = ua.kind == Kind::kNaN, nb = ub.kind == Kind::kNaN;
  if (na && nb) return CanonicalNaN(f);
  if (na) return b;
  if (nb) return a;
  const int64_t ka = OrderKey(f, a), kb = OrderKey(f, b);
  if (ka == kb) {  // equal values; only the signs of zeros can differ
    return ua.sign == max ? b : a;
  }
  return (ka < kb) != max ? a : b;
}

}  // namespace

uint64_t CanonicalNaN(Format f) {
  return (P(f).emask << f.frac_bits) | (uint64_t{1} << (f.frac_bits - 1));
}

bool IsNaN(Format f, uint64_t x) { return Unpack(f, x).kind == Kind::kNaN; }

uint64_t Add(Format f, uint64_t a, uint64_t b, Rm rm, uint32_t* flags) {
  return AddImpl(f, Unpack(f, a), Unpack(f, b), rm, flags);
}

uint64_t Sub(Format f, uint64_t a, uint64_t b, Rm rm, uint32_t* flags) {
  Unpacked ub = Unpack(f, b);
  ub.sign = !ub.sign;
  return AddImpl(f, Unpack(f, a), ub, rm, flags);
}

uint64_t Mul(Format f, uint64_t a, uint64_t b, Rm rm, uint32_t* flags) {
  const Unpacked ua = Unpack(f, a), ub = Unpack(f, b);
  if (PropagateNaN(ua, ub, flags)) return CanonicalNaN(f);
  const bool s = ua.sign != ub.sign;
  if (ua.kind == Kind::kInf || ub.kind == Kind::kInf) {
    if (ua.kind == Kind::kZero || ub.kind == Kind::kZero) return Invalid(f, flags);
    return Inf(f, s);
  }
  if (ua.kind == Kind::kZero || ub.kind == Kind::kZero) return Zero(f, s);
  return RoundPack(f, s, ua.sig * ub.sig, ua.exp + ub.exp, rm, flags);
}

uint64_t Div(Format f, uint64_t a, uint64_t b, Rm rm, uint32_t* flags) {
  const Unpacked ua = Unpack(f, a), ub = Unpack(f, b);
  if (PropagateNaN(ua, ub, flags)) return CanonicalNaN(f);
  const bool s = ua.sign != ub.sign;
  if (ua.kind == Kind::kInf) return ub.kind == Kind::kInf ? Invalid(f, flags) : Inf(f, s);
  if (ub.kind == Kind::kInf) return Zero(f, s);
  if (ub.kind == Kind::kZero) {
    if (ua.kind == Kind::kZero) return Invalid(f, flags);
    *flags |= kDz;
    return Inf(f, s);
  }
  if (ua.kind == Kind::kZero) return Zero(f, s);
  // Quotient with at least p + 2 bits; a nonzero remainder becomes a
  // sticky bit below the guard and round bits.
  const int p = P(f).p;
  const int k = p + 3 + BitLen(ub.sig) - BitLen(ua.sig);
  const u128 num = ua.sig << k;
  u128 q = num / ub.sig;
  if (num % ub.sig != 0) q |= 1;
  return RoundPack(f, s, q, ua.exp - k - ub.exp, rm, flags);
}

uint64_t Sqrt(Format f, uint64_t a, Rm rm, uint32_t* flags) {
  Unpacked ua = Unpack(f, a);
  if (ua.kind == Kind::kNaN) {
    if (ua.snan) *flags |= kNv;
    return CanonicalNaN(f);
  }
  if (ua.kind == Kind::kZero) return a;  // sqrt(-0) = -0
  if (ua.sign) return Invalid(f, flags);
  if (ua.kind == Kind::kInf) return a;
  // Even exponent, and enough bits for a root of p + 2 bits.
  u128 m = ua.sig;
  int e = ua.exp;
  if (e & 1) {
    m <<= 1;
    e -= 1;
  }
  int k = 2 * (P(f).p + 3) - BitLen(m);
  if (k < 0) k = 0;
  k += k & 1;
  m <<= k;
  e -= k;
  // Bit-by-bit integer square root.
  u128 rem = m, root = 0, bit = u128{1} << 126;
  while (bit > rem) bit >>= 2;
  while (bit != 0) {
    if (rem >= root + bit) {
      rem -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  if (rem != 0) root |= 1;
  return RoundPack(f, false, root, e / 2, rm, flags);
}

uint64_t MulAdd(Format f, uint64_t a, uint64_t b, uint64_t c, Rm rm, uint32_t* flags) {
  const Unpacked ua = Unpack(f, a), ub = Unpack(f, b), uc = Unpack(f, c);
  const bool inf_times_zero =
      (ua.kind == Kind::kInf && ub.kind == Kind::kZero) ||
      (ua.kind == Kind::kZero && ub.kind == Kind::kInf);
  if (inf_times_zero) {
    *flags |= kNv;  // even with a quiet NaN addend (11.6)
    return CanonicalNaN(f);
  }
  if (ua.snan || ub.snan || uc.snan) *flags |= kNv;
  if (ua.kind == Kind::kNaN || ub.kind == Kind::kNaN || uc.kind == Kind::kNaN) {
    return CanonicalNaN(f);
  }
  const bool sp = ua.sign != ub.sign;
  if (ua.kind == Kind::kInf || ub.kind == Kind::kInf) {
    if (uc.kind == Kind::kInf && uc.sign != sp) return Invalid(f, flags);
    return Inf(f, sp);
  }
  if (uc.kind == Kind::kInf) return Inf(f, uc.sign);
  // The product is exact (at most 106 bits); zero operands give sig 0.
  const u128 mp = ua.sig * ub.sig;
  return AddExact(f, sp, mp, ua.exp + ub.exp, uc.sign, uc.sig, uc.exp, rm, flags);
}

uint64_t Min(Format f, uint64_t a, uint64_t b, uint32_t* flags) {
  return MinMax(f, a, b, false, flags);
}
uint64_t Max(Format f, uint64_t a, uint64_t b, uint32_t* flags) {
  return MinMax(f, a, b, true, flags);
}

bool Eq(Format f, uint64_t a, uint64_t b, uint32_t* flags) {
  const Unpacked ua = Unpack(f, a), ub = Unpack(f, b);
  if (PropagateNaN(ua, ub, flags)) return false;
  return OrderKey(f, a) == OrderKey(f, b);
}

bool Lt(Format f, uint64_t a, uint64_t b, uint32_t* flags) {
  if (IsNaN(f, a) || IsNaN(f, b)) {
    *flags |= kNv;
    return false;
  }
  return OrderKey(f, a) < OrderKey(f, b);
}

bool Le(Format f, uint64_t a, uint64_t b, uint32_t* flags) {
  if (IsNaN(f, a) || IsNaN(f, b)) {
    *flags |= kNv;
    return false;
  }
  return OrderKey(f, a) <= OrderKey(f, b);
}

uint64_t Classify(Format f, uint64_t a) {
  const Unpacked u = Unpack(f, a);
  const uint64_t e = (a >> f.frac_bits) & P(f).emask;
  switch (u.kind) {
    case Kind::kNaN: return u.snan ? 1u << 8 : 1u << 9;
    case Kind::kInf: return u.sign ? 1u << 0 : 1u << 7;
    case Kind::kZero: return u.sign ? 1u << 3 : 1u << 4;
    case Kind::kFinite:
      if (e == 0) return u.sign ? 1u << 2 : 1u << 5;
      return u.sign ? 1u << 1 : 1u << 6;
  }
  return 0;
}

uint64_t ToInt(Format f, uint64_t a, bool is_signed, int bits, Rm rm, uint32_t* flags) {
  const Unpacked u = Unpack(f, a);
  const u128 umax = LowMask(bits);
  const u128 smax = LowMask(bits - 1);
  // Saturated results for invalid inputs (Table 11.4).
  auto saturate = [&](bool negative) -> uint64_t {
    *flags |= kNv;
    u128 r;
    if (is_signed) {
      r = negative ? smax + 1 : smax;  // smax + 1 is the bit pattern of the minimum
    } else {
      r = negative ? 0 : umax;
    }
    uint64_t v = static_cast<uint64_t>(r);
    if (bits == 32) v = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v)));
    return v;
  };
  if (u.kind == Kind::kNaN) return saturate(false);
  if (u.kind == Kind::kInf) return saturate(u.sign);
  if (u.kind == Kind::kZero) return 0;
  u128 mag;
  bool inexact = false;
  if (u.exp >= 0) {
    if (u.exp + BitLen(u.sig) > bits) return saturate(u.sign);
    mag = u.sig << u.exp;
  } else {
    mag = ShiftRound(u.sig, -u.exp, u.sign, rm, &inexact);
  }
  const bool fits = is_signed ? mag <= (u.sign ? smax + 1 : smax) : (u.sign ? mag == 0 : mag <= umax);
  if (!fits) return saturate(u.sign);
  if (inexact) *flags |= kNx;
  uint64_t v = static_cast<uint64_t>(mag);
  if (u.sign) v = ~v + 1;
  if (bits == 32) v = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v)));
  return v;
}

uint64_t FromInt(Format f, uint64_t v, bool is_signed, int bits, Rm rm, uint32_t* flags) {
  if (bits == 32) {
    v = is_signed ? static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v)))
                  : (v & 0xffffffffu);
  }
  const bool sign = is_signed && static_cast<int64_t>(v) < 0;
  const uint64_t mag = sign ? ~v + 1 : v;
  if (mag == 0) return Zero(f, false);
  return RoundPack(f, sign, mag, 0, rm, flags);
}

uint64_t Convert(Format to, Format from, uint64_t a, Rm rm, uint32_t* flags) {
  const Unpacked u = Unpack(from, a);
  switch (u.kind) {
    case Kind::kNaN:
      if (u.snan) *flags |= kNv;
      return CanonicalNaN(to);
    case Kind::kInf: return Inf(to, u.sign);
    case Kind::kZero: return Zero(to, u.sign);
    case Kind::kFinite: break;
  }
  return RoundPack(to, u.sign, u.sig, u.exp, rm, flags);
}

}  // namespace tcg::riscv64::fp
