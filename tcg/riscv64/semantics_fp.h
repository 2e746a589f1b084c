#ifndef TCG_RISCV64_SEMANTICS_FP_H_
#define TCG_RISCV64_SEMANTICS_FP_H_

// F and D extensions (unprivileged spec ch. 11-12). Loads, stores, moves
// and sign injection are IR bit operations; arithmetic, compares,
// conversions and FCLASS call helpers built on ieee754.h (which accrue
// fflags and set mstatus.FS to Dirty). All are illegal while mstatus.FS is
// Off (privileged spec 3.1.6.6), decided at translation time (kFlagFsOn).

#include "tcg/riscv64/semantics.h"

namespace tcg::riscv64 {

enum class FpBinOp : uint8_t { kAdd, kSub, kMul, kDiv, kMin, kMax, kEq, kLt, kLe };
enum class SgnjOp : uint8_t { kCopy, kNeg, kXor };

bool FpLoad(Translator& t, const Insn& i, bool dbl);
bool FpStore(Translator& t, const Insn& i, bool dbl);
bool FpBinary(Translator& t, const Insn& i, FpBinOp op, bool dbl);
bool FpSqrt(Translator& t, const Insn& i, bool dbl);
bool FpFma(Translator& t, const Insn& i, int neg, bool dbl);  // neg: bit0 addend, bit1 product
bool FpSgnj(Translator& t, const Insn& i, SgnjOp op, bool dbl);
bool FpClass(Translator& t, const Insn& i, bool dbl);
bool FpToInt(Translator& t, const Insn& i, bool dbl);    // rs2 selects W/WU/L/LU
bool FpFromInt(Translator& t, const Insn& i, bool dbl);  // rs2 selects W/WU/L/LU
bool FpCvtFormat(Translator& t, const Insn& i, bool to_double);
bool FpMvToX(Translator& t, const Insn& i, bool dbl);
bool FpMvFromX(Translator& t, const Insn& i, bool dbl);

template <bool D>
bool FpLoadT(Translator& t, const Insn& i) { return FpLoad(t, i, D); }
template <bool D>
bool FpStoreT(Translator& t, const Insn& i) { return FpStore(t, i, D); }
template <FpBinOp Op, bool D>
bool FpBinaryT(Translator& t, const Insn& i) { return FpBinary(t, i, Op, D); }
template <bool D>
bool FpSqrtT(Translator& t, const Insn& i) { return FpSqrt(t, i, D); }
template <int Neg, bool D>
bool FpFmaT(Translator& t, const Insn& i) { return FpFma(t, i, Neg, D); }
template <SgnjOp Op, bool D>
bool FpSgnjT(Translator& t, const Insn& i) { return FpSgnj(t, i, Op, D); }
template <bool D>
bool FpClassT(Translator& t, const Insn& i) { return FpClass(t, i, D); }
template <bool D>
bool FpToIntT(Translator& t, const Insn& i) { return FpToInt(t, i, D); }
template <bool D>
bool FpFromIntT(Translator& t, const Insn& i) { return FpFromInt(t, i, D); }
template <bool ToD>
bool FpCvtFormatT(Translator& t, const Insn& i) { return FpCvtFormat(t, i, ToD); }
template <bool D>
bool FpMvToXT(Translator& t, const Insn& i) { return FpMvToX(t, i, D); }
template <bool D>
bool FpMvFromXT(Translator& t, const Insn& i) { return FpMvFromX(t, i, D); }

}  // namespace tcg::riscv64

#endif  // TCG_RISCV64_SEMANTICS_FP_H_
