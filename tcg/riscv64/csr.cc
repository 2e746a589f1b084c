#include "tcg/riscv64/csr.h"

namespace tcg::riscv64 {
namespace {

enum : uint32_t {
  kFflags = 0x001, kFrm = 0x002, kFcsr = 0x003,
  kCycle = 0xc00, kTime = 0xc01, kInstret = 0xc02,
  kMvendorid = 0xf11, kMarchid = 0xf12, kMimpid = 0xf13, kMhartid = 0xf14, kMconfigptr = 0xf15,
  kMstatus = 0x300, kCsrMisa = 0x301, kMedeleg = 0x302, kMideleg = 0x303, kMie = 0x304,
  kMtvec = 0x305, kMcounteren = 0x306, kMcountinhibit = 0x320, kMscratch = 0x340,
  kMepc = 0x341, kMcause = 0x342, kMtval = 0x343, kMip = 0x344,
  kMcycle = 0xb00, kMinstret = 0xb02,
};

bool InRange(uint32_t v, uint32_t lo, uint32_t hi) { return v >= lo && v <= hi; }

// mstatus in an M-only hart: MIE and MPIE are writable, MPP reads as M.
constexpr uint64_t kMstatusWritable = kMstatusMie | kMstatusMpie;
// Machine interrupt bits (MSIP 3, MTIP 7, MEIP 11).
constexpr uint64_t kMInterrupts = (1u << 3) | (1u << 7) | (1u << 11);

}  // namespace

bool ReadCsr(const CpuState& s, uint64_t instret, uint32_t csr, uint64_t* value) {
  uint64_t v = 0;
  switch (csr) {
    case kFflags: v = s.fcsr & 0x1f; break;
    case kFrm: v = (s.fcsr >> 5) & 7; break;
    case kFcsr: v = s.fcsr & 0xff; break;
    case kCycle: case kTime: case kInstret: case kMcycle: case kMinstret: v = instret; break;
    case kMvendorid: case kMarchid: case kMimpid: case kMconfigptr: v = 0; break;
    case kMhartid: v = s.mhartid; break;
    case kMstatus: v = (s.mstatus & kMstatusWritable) | kMstatusMpp; break;
    case kCsrMisa: v = kMisa; break;
    case kMedeleg: v = s.medeleg; break;
    case kMideleg: v = s.mideleg; break;
    case kMie: v = s.mie; break;
    case kMip: v = s.mip; break;
    case kMtvec: v = s.mtvec; break;
    case kMcounteren: v = s.mcounteren; break;
    case kMcountinhibit: v = s.mcountinhibit; break;
    case kMscratch: v = s.mscratch; break;
    case kMepc: v = s.mepc; break;
    case kMcause: v = s.mcause; break;
    case kMtval: v = s.mtval; break;
    default:
      // PMP (no PMP entries implemented: read zero, writes ignored, which
      // the spec allows for zero implemented entries) and the hardware
      // performance monitor counters/events (read-only zero is legal).
      if (InRange(csr, 0x3a0, 0x3ef) || InRange(csr, 0xb03, 0xb1f) ||
          InRange(csr, 0xc03, 0xc1f) || InRange(csr, 0x323, 0x33f)) {
        v = 0;
        break;
      }
      return false;
  }
  *value = v;
  return true;
}

bool WriteCsr(CpuState& s, uint32_t csr, uint64_t v) {
  switch (csr) {
    case kFflags: s.fcsr = (s.fcsr & ~0x1fu) | (v & 0x1f); return true;
    case kFrm: s.fcsr = (s.fcsr & ~0xe0u) | ((v & 7) << 5); return true;
    case kFcsr: s.fcsr = v & 0xff; return true;
    case kMstatus: s.mstatus = v & kMstatusWritable; return true;
    case kCsrMisa: return true;  // WARL, fixed
    // With no S-mode, medeleg/mideleg do not exist (privileged spec 3.1.8),
    // but firmware probes them; keep them read-only zero.
    case kMedeleg: case kMideleg: return true;
    case kMie: s.mie = v & kMInterrupts; return true;
    case kMip: return true;  // M-level pending bits are read-only here
    case kMtvec: {
      // WARL: modes 0 (direct) and 1 (vectored); base 4-byte aligned.
      const uint64_t mode = v & 3;
      s.mtvec = (v & ~uint64_t{3}) | (mode <= 1 ? mode : 0);
      return true;
    }
    case kMcounteren: s.mcounteren = v & 0xffffffff; return true;
    case kMcountinhibit: s.mcountinhibit = v & 0xfffffffd; return true;
    case kMscratch: s.mscratch = v; return true;
    case kMepc: s.mepc = v & ~uint64_t{1}; return true;  // IALIGN=16
    case kMcause: s.mcause = v; return true;
    case kMtval: s.mtval = v; return true;
    case kMcycle: case kMinstret: return true;  // writes ignored (counter is derived)
    default:
      if (InRange(csr, 0x3a0, 0x3ef) || InRange(csr, 0xb03, 0xb1f) || InRange(csr, 0x323, 0x33f)) {
        return true;
      }
      return false;
  }
}

void EnterTrap(CpuState& s, uint64_t cause, uint64_t tval) {
  s.mepc = s.pc & ~uint64_t{1};
  s.mcause = cause;
  s.mtval = tval;
  const bool mie = s.mstatus & kMstatusMie;
  s.mstatus = (s.mstatus & ~(kMstatusMie | kMstatusMpie)) | (mie ? kMstatusMpie : 0);
  s.priv = 3;
  s.res_addr = kNoReservation;
  s.pc = s.mtvec & ~uint64_t{3};
}

uint64_t ReturnFromTrap(CpuState& s) {
  const bool mpie = s.mstatus & kMstatusMpie;
  s.mstatus = (s.mstatus & ~kMstatusMie) | (mpie ? kMstatusMie : 0) | kMstatusMpie;
  s.priv = 3;  // MPP is hardwired to M without U-mode
  s.res_addr = kNoReservation;
  return s.mepc;
}

}  // namespace tcg::riscv64
