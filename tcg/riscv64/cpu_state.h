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
  uint64_t f[32] = {};  // F/D registers (singles NaN-boxed, spec 12.2)
  uint32_t fcsr = 0;    // frm[7:5] | fflags[4:0]
  uint32_t priv = 3;    // current privilege level: 0 U, 1 S, 3 M

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
  uint64_t menvcfg = 0;

  // Supervisor CSRs (privileged spec ch. 4); sstatus/sie/sip are views of
  // the machine registers.
  uint64_t stvec = 0;
  uint64_t scounteren = 0;
  uint64_t sscratch = 0;
  uint64_t sepc = 0;
  uint64_t scause = 0;
  uint64_t stval = 0;
  uint64_t satp = 0;
  uint64_t senvcfg = 0;

  // PMP (privileged spec 3.7): stored WARL, not enforced (see csr.cc).
  uint8_t pmpcfg[64] = {};
  uint64_t pmpaddr[64] = {};
};

constexpr uint64_t kNoReservation = ~uint64_t{0};

constexpr uint32_t XOffset(int reg) {
  return static_cast<uint32_t>(offsetof(CpuState, x) + 8 * reg);
}
constexpr uint32_t FOffset(int reg) {
  return static_cast<uint32_t>(offsetof(CpuState, f) + 8 * reg);
}
constexpr uint32_t kPcOffset = offsetof(CpuState, pc);
constexpr uint32_t kMstatusOffset = offsetof(CpuState, mstatus);
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
  kCauseInsnPageFault = 12,
  kCauseLoadPageFault = 13,
  kCauseStorePageFault = 15,
};

constexpr uint64_t kInterruptBit = uint64_t{1} << 63;

// Interrupt numbers (privileged spec, Table 3.6) and their mip/mie bits.
enum Irq : int {
  kIrqSSoft = 1, kIrqMSoft = 3, kIrqSTimer = 5, kIrqMTimer = 7, kIrqSExt = 9, kIrqMExt = 11,
};
constexpr uint64_t kMipSsip = 1u << kIrqSSoft;
constexpr uint64_t kMipMsip = 1u << kIrqMSoft;
constexpr uint64_t kMipStip = 1u << kIrqSTimer;
constexpr uint64_t kMipMtip = 1u << kIrqMTimer;
constexpr uint64_t kMipSeip = 1u << kIrqSExt;
constexpr uint64_t kMipMeip = 1u << kIrqMExt;
constexpr uint64_t kSInterrupts = kMipSsip | kMipStip | kMipSeip;
constexpr uint64_t kAllInterrupts = kSInterrupts | kMipMsip | kMipMtip | kMipMeip;

constexpr uint32_t kPrivU = 0, kPrivS = 1, kPrivM = 3;

// mstatus fields (privileged spec 3.1.6).
constexpr uint64_t kMstatusSie = 1u << 1;
constexpr uint64_t kMstatusMie = 1u << 3;
constexpr uint64_t kMstatusSpie = 1u << 5;
constexpr uint64_t kMstatusUbe = 1u << 6;
constexpr uint64_t kMstatusMpie = 1u << 7;
constexpr uint64_t kMstatusSpp = 1u << 8;
constexpr uint64_t kMstatusVs = 3u << 9;
constexpr uint64_t kMstatusMpp = 3u << 11;
constexpr uint64_t kMstatusFs = 3u << 13;
constexpr uint64_t kMstatusXs = 3u << 15;
constexpr uint64_t kMstatusMprv = 1u << 17;
constexpr uint64_t kMstatusSum = 1u << 18;
constexpr uint64_t kMstatusMxr = 1u << 19;
constexpr uint64_t kMstatusTvm = 1u << 20;
constexpr uint64_t kMstatusTw = 1u << 21;
constexpr uint64_t kMstatusTsr = 1u << 22;
constexpr uint64_t kMstatusUxl = uint64_t{3} << 32;
constexpr uint64_t kMstatusSxl = uint64_t{3} << 34;
constexpr uint64_t kMstatusSd = uint64_t{1} << 63;
// UXL = SXL = 2 (64-bit), read-only.
constexpr uint64_t kMstatusXlen64 = (uint64_t{2} << 32) | (uint64_t{2} << 34);

}  // namespace tcg::riscv64

#endif  // TCG_RISCV64_CPU_STATE_H_
