#ifndef TCG_RISCV64_CPU_STATE_H_
#define TCG_RISCV64_CPU_STATE_H_

#include <cstddef>
#include <cstdint>

namespace tcg::riscv64 {

// Architectural state of one RV64 hart, laid out as the guest state block
// that IR GetReg/SetReg ops address by byte offset. Standard layout, so
// offsetof is well defined.
struct CpuState {
  uint64_t x[32] = {};  // x[0] is never written (reads go to constant 0)
  uint64_t pc = 0;
  uint64_t f[32] = {};  // F/D registers (NaN-boxed singles), for later
  uint32_t fcsr = 0;    // frm[7:5] | fflags[4:0]
  uint32_t priv = 3;    // current privilege level; only M (3) for now

  // LR/SC reservation: address (or kNoReservation) and the value LR saw.
  uint64_t res_addr = ~uint64_t{0};
  uint64_t res_val = 0;

  // Machine-mode CSRs (privileged spec ch. 3).
  uint64_t mstatus = 0;
  uint64_t medeleg = 0;
  uint64_t mideleg = 0;
  uint64_t mie = 0;
  uint64_t mip = 0;
  uint64_t mtvec = 0;
  uint64_t mcounteren = 0;
  uint64_t mcountinhibit = 0;
  uint64_t mscratch = 0;
  uint64_t mepc = 0;
  uint64_t mcause = 0;
  uint64_t mtval = 0;
  uint64_t mhartid = 0;
};

constexpr uint64_t kNoReservation = ~uint64_t{0};

constexpr uint32_t XOffset(int reg) {
  return static_cast<uint32_t>(offsetof(CpuState, x) + 8 * reg);
}
constexpr uint32_t kPcOffset = offsetof(CpuState, pc);
constexpr uint32_t kResAddrOffset = offsetof(CpuState, res_addr);
constexpr uint32_t kResValOffset = offsetof(CpuState, res_val);

// Exception causes (privileged spec, Table 3.6).
enum Cause : uint64_t {
  kCauseInsnMisaligned = 0,
  kCauseInsnAccessFault = 1,
  kCauseIllegalInsn = 2,
  kCauseBreakpoint = 3,
  kCauseLoadMisaligned = 4,
  kCauseLoadAccessFault = 5,
  kCauseStoreMisaligned = 6,
  kCauseStoreAccessFault = 7,
  kCauseEcallU = 8,
  kCauseEcallS = 9,
  kCauseEcallM = 11,
};

// mstatus bits used in M-only mode.
constexpr uint64_t kMstatusMie = 1u << 3;
constexpr uint64_t kMstatusMpie = 1u << 7;
constexpr uint64_t kMstatusMpp = 3u << 11;

}  // namespace tcg::riscv64

#endif  // TCG_RISCV64_CPU_STATE_H_
