#ifndef TCG_RISCV64_CSR_H_
#define TCG_RISCV64_CSR_H_

#include <cstdint>

#include "tcg/riscv64/cpu_state.h"

namespace tcg::riscv64 {

// The CSR file of an M/S/U hart (privileged spec ch. 2-4). Unknown CSRs are
// illegal (false); WARL fields keep only legal values.

// `instret`: guest instructions retired so far (backs cycle/instret/time).
// `pins`: interrupt-pending bits driven by devices (MSIP/MTIP/MEIP/SEIP),
// ORed into mip/sip as the spec's "external" sources.
bool ReadCsr(const CpuState& s, uint64_t instret, uint64_t pins, uint32_t csr, uint64_t* value);
bool WriteCsr(CpuState& s, uint32_t csr, uint64_t value);

// Whether the current privilege may access `csr` (spec 2.1: bits 9:8 give
// the lowest privilege, bits 11:10 == 3 mean read-only; mstatus.TVM traps
// satp in S-mode; m/scounteren gate the user counters).
bool CsrAccessible(const CpuState& s, uint32_t csr, bool write);

// misa for RV64IMAFDC with S and U modes.
constexpr uint64_t kMisa = (uint64_t{2} << 62) | (1u << ('A' - 'A')) | (1u << ('C' - 'A')) |
                           (1u << ('D' - 'A')) | (1u << ('F' - 'A')) |
                           (1u << ('I' - 'A')) | (1u << ('M' - 'A')) | (1u << ('S' - 'A')) |
                           (1u << ('U' - 'A'));

// Trap entry (privileged spec 3.1.6.1, 3.1.8, 4.1.1): an exception or
// interrupt taken from privilege p goes to S-mode if p <= S and the cause's
// bit is set in medeleg/mideleg, else to M-mode. Saves pc, cause and tval,
// stacks xIE into xPIE and p into xPP, and jumps to xtvec (vectored mode
// adds 4 * cause for interrupts only). `cause` has bit 63 for interrupts.
void EnterTrap(CpuState& s, uint64_t cause, uint64_t tval);

// MRET / SRET (privileged spec 3.3.2): restore xIE from xPIE, privilege from
// xPP (then set xPP to U and clear MPRV when leaving M); return the new pc.
uint64_t ReturnFromMTrap(CpuState& s);
uint64_t ReturnFromSTrap(CpuState& s);

// The interrupt to take now, as a cause with bit 63 set, or 0 (spec 3.1.9:
// enabled and pending; M-level ones unless in M with MIE clear, S-level
// (delegated) ones only below M, or in S with SIE; priority MEI, MSI, MTI,
// SEI, SSI, STI).
uint64_t PendingInterrupt(const CpuState& s, uint64_t pins);

// Whether WFI should wake: any interrupt pending and enabled in mie,
// regardless of the global enables (spec 3.3.3).
inline bool WfiShouldWake(const CpuState& s, uint64_t pins) {
  return ((s.mip | pins) & s.mie) != 0;
}

// Translation flags of the current state: everything translation depends
// on (privilege for ECALL and privileged-instruction legality; TVM, TW, TSR).
uint32_t TranslationFlags(const CpuState& s);
constexpr uint32_t kFlagPrivMask = 3;
constexpr uint32_t kFlagTvm = 1u << 2;
constexpr uint32_t kFlagTw = 1u << 3;
constexpr uint32_t kFlagTsr = 1u << 4;
// mstatus.FS != Off (F/D instructions legal) and FS == Dirty (inline FP
// writes need not set it again); privileged spec 3.1.6.6.
constexpr uint32_t kFlagFsOn = 1u << 12;
constexpr uint32_t kFlagFsDirty = 1u << 13;

}  // namespace tcg::riscv64

#endif  // TCG_RISCV64_CSR_H_
