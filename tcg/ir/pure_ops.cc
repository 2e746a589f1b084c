#include "tcg/ir/pure_ops.h"

#include <limits>

namespace tcg::ir {
namespace {

using u32 = uint32_t;
using s32 = int32_t;
using u64 = uint64_t;
using s64 = int64_t;

u64 MulHiU(u64 a, u64 b) {
  return static_cast<u64>((static_cast<unsigned __int128>(a) * b) >> 64);
}
u64 MulHiS(u64 a, u64 b) {
  return static_cast<u64>(
      static_cast<unsigned __int128>(static_cast<__int128>(static_cast<s64>(a)) *
                                     static_cast<s64>(b)) >>
      64);
}
u64 MulHiSU(u64 a, u64 b) {
  __int128 p = static_cast<__int128>(static_cast<s64>(a)) *
               static_cast<__int128>(static_cast<unsigned __int128>(b));
  return static_cast<u64>(static_cast<unsigned __int128>(p) >> 64);
}

// Total division as in the RISC-V M extension (unprivileged spec, 7.2).
template <typename S, typename U>
U DivS(U a, U b) {
  S sa = static_cast<S>(a), sb = static_cast<S>(b);
  if (sb == 0) return ~U{0};
  if (sa == std::numeric_limits<S>::min() && sb == -1) return a;
  return static_cast<U>(sa / sb);
}
template <typename S, typename U>
U RemS(U a, U b) {
  S sa = static_cast<S>(a), sb = static_cast<S>(b);
  if (sb == 0) return a;
  if (sa == std::numeric_limits<S>::min() && sb == -1) return 0;
  return static_cast<U>(sa % sb);
}
template <typename U>
U DivU(U a, U b) {
  return b == 0 ? ~U{0} : a / b;
}
template <typename U>
U RemU(U a, U b) {
  return b == 0 ? a : a % b;
}

bool Compare(Cond c, u64 a, u64 b) {
  switch (c) {
    case Cond::kEq: return a == b;
    case Cond::kNe: return a != b;
    case Cond::kLtS: return static_cast<s64>(a) < static_cast<s64>(b);
    case Cond::kGeS: return static_cast<s64>(a) >= static_cast<s64>(b);
    case Cond::kLtU: return a < b;
    case Cond::kGeU: return a >= b;
  }
  return false;
}

}  // namespace

bool EvalPure(Opcode op, const uint64_t args[kMaxArgs], uint64_t* result) {
  const u64 a = args[0], b = args[1], c = args[2];
  const u32 a32 = static_cast<u32>(a), b32 = static_cast<u32>(b);
  u64 r;
  switch (op) {
    case Opcode::Add64: r = a + b; break;
    case Opcode::Sub64: r = a - b; break;
    case Opcode::Mul64: r = a * b; break;
    case Opcode::MulHiS64: r = MulHiS(a, b); break;
    case Opcode::MulHiU64: r = MulHiU(a, b); break;
    case Opcode::MulHiSU64: r = MulHiSU(a, b); break;
    case Opcode::DivS64: r = DivS<s64, u64>(a, b); break;
    case Opcode::DivU64: r = DivU<u64>(a, b); break;
    case Opcode::RemS64: r = RemS<s64, u64>(a, b); break;
    case Opcode::RemU64: r = RemU<u64>(a, b); break;
    case Opcode::And64: r = a & b; break;
    case Opcode::Or64: r = a | b; break;
    case Opcode::Xor64: r = a ^ b; break;
    case Opcode::Shl64: r = a << (b & 63); break;
    case Opcode::Shr64: r = a >> (b & 63); break;
    case Opcode::Sar64: r = static_cast<u64>(static_cast<s64>(a) >> (b & 63)); break;
    case Opcode::SetCond64:
      if (a > static_cast<u64>(Cond::kGeU)) return false;
      r = Compare(static_cast<Cond>(a), b, c);
      break;
    case Opcode::Select64: r = a != 0 ? b : c; break;
    case Opcode::Add32: r = static_cast<u32>(a32 + b32); break;
    case Opcode::Sub32: r = static_cast<u32>(a32 - b32); break;
    case Opcode::Mul32: r = static_cast<u32>(a32 * b32); break;
    case Opcode::DivS32: r = DivS<s32, u32>(a32, b32); break;
    case Opcode::DivU32: r = DivU<u32>(a32, b32); break;
    case Opcode::RemS32: r = RemS<s32, u32>(a32, b32); break;
    case Opcode::RemU32: r = RemU<u32>(a32, b32); break;
    case Opcode::And32: r = a32 & b32; break;
    case Opcode::Or32: r = a32 | b32; break;
    case Opcode::Xor32: r = a32 ^ b32; break;
    case Opcode::Shl32: r = static_cast<u32>(a32 << (b32 & 31)); break;
    case Opcode::Shr32: r = a32 >> (b32 & 31); break;
    case Opcode::Sar32:
      r = static_cast<u32>(static_cast<s32>(a32) >> (b32 & 31));
      break;
    case Opcode::Clz64: r = a == 0 ? 64 : __builtin_clzll(a); break;
    case Opcode::Ctz64: r = a == 0 ? 64 : __builtin_ctzll(a); break;
    case Opcode::Cpop64: r = __builtin_popcountll(a); break;
    case Opcode::Clz32: r = a32 == 0 ? 32 : __builtin_clz(a32); break;
    case Opcode::Ctz32: r = a32 == 0 ? 32 : __builtin_ctz(a32); break;
    case Opcode::Cpop32: r = __builtin_popcount(a32); break;
    case Opcode::Bswap64: r = __builtin_bswap64(a); break;
    case Opcode::OrcB64:
      r = 0;
      for (int i = 0; i < 64; i += 8) {
        if ((a >> i) & 0xff) r |= u64{0xff} << i;
      }
      break;
    case Opcode::Trunc64To32: r = a32; break;
    case Opcode::SExt32To64: r = static_cast<u64>(static_cast<s64>(static_cast<s32>(a32))); break;
    case Opcode::ZExt32To64: r = a32; break;
    default: return false;
  }
  *result = r;
  return true;
}

}  // namespace tcg::ir
