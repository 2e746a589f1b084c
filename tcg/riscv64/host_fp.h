#ifndef TCG_RISCV64_HOST_FP_H_
#define TCG_RISCV64_HOST_FP_H_

// Fast path for F/D arithmetic on the host FPU (x86-64 SSE/FMA): the
// rounding mode goes into MXCSR for the one instruction and the accrued
// exception bits come back from it. x86 detects tininess after rounding
// and sets UE (masked) only for tiny and inexact results, like RISC-V, so
// results and flags equal ieee754.h's (host_fp_test checks this over random
// operands). Not covered, so callers fall back to ieee754.h: RMM (x86 has
// no such mode), FMA without the FMA extension, and FMA of 0 * inf with a
// quiet-NaN addend (x86 does not raise invalid there; RISC-V does).
// NaN results are returned as the canonical NaN.

#include <cstdint>

#include "tcg/riscv64/ieee754.h"

namespace tcg::riscv64::fp {

enum class HostOp : uint8_t { kAdd, kSub, kMul, kDiv, kSqrt, kMulAdd };

// True (with *result and *flags ORed) if the host computed it. `accrued`:
// flags the caller already has (the guest's fflags), which *flags may then
// also contain; passing them lets the common case skip loading MXCSR.
bool HostArith(HostOp op, bool dbl, uint64_t a, uint64_t b, uint64_t c, Rm rm, uint64_t* result,
               uint32_t* flags, uint32_t accrued = 0);

}  // namespace tcg::riscv64::fp

#endif  // TCG_RISCV64_HOST_FP_H_
