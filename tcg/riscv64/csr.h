#ifndef TCG_RISCV64_CSR_H_
#define TCG_RISCV64_CSR_H_

#include <cstdint>

#include "tcg/riscv64/cpu_state.h"

namespace tcg::riscv64 {

// Machine-mode CSR file for an M-only hart (privileged spec ch. 2-3).
// Unknown CSRs are illegal (false); WARL fields keep only legal values.

// `instret`: guest instructions retired so far (backs cycle/instret/time).
bool ReadCsr(const CpuState& s, uint64_t instret, uint32_t csr, uint64_t* value);
bool WriteCsr(CpuState& s, uint32_t csr, uint64_t value);

// CSR numbers 0xC00-0xFFF with bits 11:10 == 3 are read-only.
inline bool CsrIsReadOnly(uint32_t csr) { return (csr >> 10) == 3; }

// misa for RV64IMAC (F/D arrive later).
constexpr uint64_t kMisa = (uint64_t{2} << 62) | (1u << ('A' - 'A')) | (1u << ('C' - 'A')) |
                           (1u << ('I' - 'A')) | (1u << ('M' - 'A'));

// Trap entry to M-mode (privileged spec 3.1.6.1, 3.1.14-16): saves pc, cause
// and tval, stacks MIE into MPIE, and jumps to mtvec's base (synchronous
// exceptions always use the base, even in vectored mode).
void EnterTrap(CpuState& s, uint64_t cause, uint64_t tval);

// MRET (privileged spec 3.3.2): restores MIE from MPIE; returns the new pc.
uint64_t ReturnFromTrap(CpuState& s);

}  // namespace tcg::riscv64

#endif  // TCG_RISCV64_CSR_H_
