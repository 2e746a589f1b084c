#include "tcg/riscv64/csr.h"

#include <initializer_list>

namespace tcg::riscv64 {
namespace {

enum : uint32_t {
  kFflags = 0x001, kFrm = 0x002, kFcsr = 0x003,
  kCycle = 0xc00, kTime = 0xc01, kInstret = 0xc02,
  kSstatus = 0x100, kSie = 0x104, kStvec = 0x105, kScounteren = 0x106, kSenvcfg = 0x10a,
  kSscratch = 0x140, kSepc = 0x141, kScause = 0x142, kStval = 0x143, kSip = 0x144,
  kSatp = 0x180,
  kMvendorid = 0xf11, kMarchid = 0xf12, kMimpid = 0xf13, kMhartid = 0xf14, kMconfigptr = 0xf15,
  kMstatus = 0x300, kCsrMisa = 0x301, kMedeleg = 0x302, kMideleg = 0x303, kMie = 0x304,
  kMtvec = 0x305, kMcounteren = 0x306, kMenvcfg = 0x30a, kMcountinhibit = 0x320,
  kMscratch = 0x340, kMepc = 0x341, kMcause = 0x342, kMtval = 0x343, kMip = 0x344,
  kPmpcfg0 = 0x3a0, kPmpaddr0 = 0x3b0,
  kMcycle = 0xb00, kMinstret = 0xb02,
};

bool InRange(uint32_t v, uint32_t lo, uint32_t hi) { return v >= lo && v <= hi; }

constexpr uint64_t kMstatusWritable =
    kMstatusSie | kMstatusMie | kMstatusSpie | kMstatusMpie | kMstatusSpp | kMstatusMpp |
    kMstatusFs | kMstatusMprv | kMstatusSum | kMstatusMxr | kMstatusTvm | kMstatusTw |
    kMstatusTsr;
// sstatus is the S-visible subset of mstatus (spec 4.1.1).
constexpr uint64_t kSstatusMask = kMstatusSie | kMstatusSpie | kMstatusUbe | kMstatusSpp |
                                  kMstatusVs | kMstatusFs | kMstatusXs | kMstatusSum |
                                  kMstatusMxr | kMstatusUxl | kMstatusSd;
// Exceptions S-mode may handle: all but ECALL from M (11) and the reserved
// causes (spec 3.1.8: medeleg[11] is read-only zero).
constexpr uint64_t kDelegableExceptions = 0xb3ff;
// mip bits M-mode software may write (spec 3.1.9): SSIP, STIP (no Sstc),
// SEIP. MSIP/MTIP/MEIP only come from devices (pins).
constexpr uint64_t kMipWritable = kSInterrupts;

uint64_t ReadMstatus(const CpuState& s) {
  uint64_t v = (s.mstatus & kMstatusWritable) | kMstatusXlen64;
  if ((v & kMstatusFs) == kMstatusFs) v |= kMstatusSd;
  return v;
}

void WriteMstatusMasked(CpuState& s, uint64_t v, uint64_t mask) {
  uint64_t m = (s.mstatus & ~mask) | (v & mask);
  if ((m & kMstatusMpp) == (2u << 11)) m &= ~kMstatusMpp;  // WARL: reserved -> U
  s.mstatus = m & kMstatusWritable;
}

uint64_t TvecWarl(uint64_t v) {
  // Modes 0 (direct) and 1 (vectored); base 4-byte aligned.
  const uint64_t mode = v & 3;
  return (v & ~uint64_t{3}) | (mode <= 1 ? mode : 0);
}

// satp (spec 4.1.11): writes of an unsupported mode are ignored (WARL), so
// software can probe. Bare, Sv39 and Sv48 are supported (walk in mmu.cc);
// ASIDLEN is 0 (the ASID field reads back zero, so Linux runs without
// ASIDs) and PPN keeps 44 bits.
constexpr uint64_t kSupportedSatpModes = (1u << 0) | (1u << 8) | (1u << 9);  // bit m: mode m
void WriteSatp(CpuState& s, uint64_t v) {
  const uint64_t mode = v >> 60;
  if (!((kSupportedSatpModes >> mode) & 1)) return;
  s.satp = mode == 0 ? 0 : (mode << 60) | (v & ((uint64_t{1} << 44) - 1));
}

}  // namespace

bool CsrAccessible(const CpuState& s, uint32_t csr, bool write) {
  if (((csr >> 8) & 3) > s.priv) return false;
  if (write && (csr >> 10) == 3) return false;
  if (csr == kSatp && s.priv == kPrivS && (s.mstatus & kMstatusTvm)) return false;
  // fflags/frm/fcsr need FS != Off (privileged spec 3.1.6.6).
  if (InRange(csr, kFflags, kFcsr) && (s.mstatus & kMstatusFs) == 0) return false;
  if (InRange(csr, 0xc00, 0xc1f)) {
    const uint64_t bit = uint64_t{1} << (csr - 0xc00);
    if (s.priv < kPrivM && !(s.mcounteren & bit)) return false;
    if (s.priv < kPrivS && !(s.scounteren & bit)) return false;
  }
  return true;
}

bool ReadCsr(const CpuState& s, uint64_t instret, uint64_t pins, uint32_t csr, uint64_t* value) {
  uint64_t v = 0;
  const uint64_t mip = (s.mip & kMipWritable) | (pins & kAllInterrupts);
  switch (csr) {
    case kFflags: v = s.fcsr & 0x1f; break;
    case kFrm: v = (s.fcsr >> 5) & 7; break;
    case kFcsr: v = s.fcsr & 0xff; break;
    case kCycle: case kTime: case kInstret: case kMcycle: case kMinstret: v = instret; break;
    case kSstatus: v = ReadMstatus(s) & kSstatusMask; break;
    case kSie: v = s.mie & s.mideleg; break;
    case kSip: v = mip & s.mideleg; break;
    case kStvec: v = s.stvec; break;
    case kScounteren: v = s.scounteren; break;
    case kSenvcfg: v = s.senvcfg; break;
    case kSscratch: v = s.sscratch; break;
    case kSepc: v = s.sepc; break;
    case kScause: v = s.scause; break;
    case kStval: v = s.stval; break;
    case kSatp: v = s.satp; break;
    case kMvendorid: case kMarchid: case kMimpid: case kMconfigptr: v = 0; break;
    case kMhartid: v = s.mhartid; break;
    case kMstatus: v = ReadMstatus(s); break;
    case kCsrMisa: v = kMisa; break;
    case kMedeleg: v = s.medeleg; break;
    case kMideleg: v = s.mideleg; break;
    case kMie: v = s.mie; break;
    case kMip: v = mip; break;
    case kMtvec: v = s.mtvec; break;
    case kMcounteren: v = s.mcounteren; break;
    case kMenvcfg: v = s.menvcfg; break;
    case kMcountinhibit: v = s.mcountinhibit; break;
    case kMscratch: v = s.mscratch; break;
    case kMepc: v = s.mepc; break;
    case kMcause: v = s.mcause; break;
    case kMtval: v = s.mtval; break;
    default:
      if (InRange(csr, kPmpcfg0, kPmpcfg0 + 15)) {
        // RV64: only even pmpcfg registers exist, each packing 8 entries.
        if (csr & 1) return false;
        const int base = (csr - kPmpcfg0) * 4;
        for (int i = 0; i < 8; ++i) v |= uint64_t{s.pmpcfg[base + i]} << (8 * i);
        break;
      }
      if (InRange(csr, kPmpaddr0, kPmpaddr0 + 63)) {
        v = s.pmpaddr[csr - kPmpaddr0];
        break;
      }
      // Hardware performance monitor counters/events: read-only zero is
      // legal (spec 3.1.11).
      if (InRange(csr, 0xb03, 0xb1f) || InRange(csr, 0xc03, 0xc1f) ||
          InRange(csr, 0x323, 0x33f)) {
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
    // Writing FP state makes FS Dirty (3.1.6.6).
    case kFflags: s.fcsr = (s.fcsr & ~0x1fu) | (v & 0x1f); s.mstatus |= kMstatusFs; return true;
    case kFrm: s.fcsr = (s.fcsr & ~0xe0u) | ((v & 7) << 5); s.mstatus |= kMstatusFs; return true;
    case kFcsr: s.fcsr = v & 0xff; s.mstatus |= kMstatusFs; return true;
    case kSstatus: WriteMstatusMasked(s, v, kSstatusMask); return true;
    case kSie: s.mie = (s.mie & ~s.mideleg) | (v & s.mideleg & kSInterrupts); return true;
    case kSip: {
      // Only SSIP is writable through sip (spec 4.1.3), if delegated.
      const uint64_t m = kMipSsip & s.mideleg;
      s.mip = (s.mip & ~m) | (v & m);
      return true;
    }
    case kStvec: s.stvec = TvecWarl(v); return true;
    case kScounteren: s.scounteren = v & 0xffffffff; return true;
    case kSenvcfg: s.senvcfg = 0; return true;  // no optional fields implemented
    case kSscratch: s.sscratch = v; return true;
    case kSepc: s.sepc = v & ~uint64_t{1}; return true;
    case kScause: s.scause = v; return true;
    case kStval: s.stval = v; return true;
    case kSatp: WriteSatp(s, v); return true;
    case kMstatus: WriteMstatusMasked(s, v, kMstatusWritable); return true;
    case kCsrMisa: return true;  // WARL, fixed
    case kMedeleg: s.medeleg = v & kDelegableExceptions; return true;
    case kMideleg: s.mideleg = v & kSInterrupts; return true;
    case kMie: s.mie = v & kAllInterrupts; return true;
    case kMip: s.mip = (s.mip & ~kMipWritable) | (v & kMipWritable); return true;
    case kMtvec: s.mtvec = TvecWarl(v); return true;
    case kMcounteren: s.mcounteren = v & 0xffffffff; return true;
    case kMenvcfg: s.menvcfg = 0; return true;  // no optional fields implemented
    case kMcountinhibit: s.mcountinhibit = v & 0xfffffffd; return true;
    case kMscratch: s.mscratch = v; return true;
    case kMepc: s.mepc = v & ~uint64_t{1}; return true;  // IALIGN=16
    case kMcause: s.mcause = v; return true;
    case kMtval: s.mtval = v; return true;
    case kMcycle: case kMinstret: return true;  // writes ignored (counter is derived)
    default:
      if (InRange(csr, kPmpcfg0, kPmpcfg0 + 15)) {
        if (csr & 1) return false;
        // PMP is stored but not enforced: every access is allowed, as if
        // one entry granted RWX to all of memory (what OpenSBI programs
        // anyway). WARL: a locked entry (L, bit 7) ignores writes; the
        // reserved W=1,R=0 combination reads back as 0.
        const int base = (csr - kPmpcfg0) * 4;
        for (int i = 0; i < 8; ++i) {
          uint8_t cfg = static_cast<uint8_t>(v >> (8 * i)) & 0x9f;
          if ((cfg & 3) == 2) cfg &= ~3;
          if (!(s.pmpcfg[base + i] & 0x80)) s.pmpcfg[base + i] = cfg;
        }
        return true;
      }
      if (InRange(csr, kPmpaddr0, kPmpaddr0 + 63)) {
        const int i = csr - kPmpaddr0;
        // pmpaddr holds address bits 55:2 (54 bits); locked entries ignore writes.
        if (!(s.pmpcfg[i] & 0x80)) s.pmpaddr[i] = v & ((uint64_t{1} << 54) - 1);
        return true;
      }
      if (InRange(csr, 0xb03, 0xb1f) || InRange(csr, 0x323, 0x33f)) return true;
      return false;
  }
}

void EnterTrap(CpuState& s, uint64_t cause, uint64_t tval) {
  const bool interrupt = cause & kInterruptBit;
  const uint64_t code = cause & ~kInterruptBit;
  const uint64_t deleg = interrupt ? s.mideleg : s.medeleg;
  const uint32_t from = s.priv;
  s.res_addr = kNoReservation;
  if (from <= kPrivS && code < 64 && ((deleg >> code) & 1)) {
    s.sepc = s.pc & ~uint64_t{1};
    s.scause = cause;
    s.stval = tval;
    const bool sie = s.mstatus & kMstatusSie;
    s.mstatus &= ~(kMstatusSie | kMstatusSpie | kMstatusSpp);
    if (sie) s.mstatus |= kMstatusSpie;
    if (from == kPrivS) s.mstatus |= kMstatusSpp;
    s.priv = kPrivS;
    s.pc = (s.stvec & ~uint64_t{3}) + ((interrupt && (s.stvec & 1)) ? 4 * code : 0);
    return;
  }
  s.mepc = s.pc & ~uint64_t{1};
  s.mcause = cause;
  s.mtval = tval;
  const bool mie = s.mstatus & kMstatusMie;
  s.mstatus &= ~(kMstatusMie | kMstatusMpie | kMstatusMpp);
  if (mie) s.mstatus |= kMstatusMpie;
  s.mstatus |= uint64_t{from} << 11;
  s.priv = kPrivM;
  s.pc = (s.mtvec & ~uint64_t{3}) + ((interrupt && (s.mtvec & 1)) ? 4 * code : 0);
}

uint64_t ReturnFromMTrap(CpuState& s) {
  const bool mpie = s.mstatus & kMstatusMpie;
  const uint32_t mpp = (s.mstatus & kMstatusMpp) >> 11;
  s.mstatus &= ~(kMstatusMie | kMstatusMpp);
  s.mstatus |= (mpie ? kMstatusMie : 0) | kMstatusMpie;
  if (mpp != kPrivM) s.mstatus &= ~kMstatusMprv;
  s.priv = mpp;
  s.res_addr = kNoReservation;
  return s.mepc;
}

uint64_t ReturnFromSTrap(CpuState& s) {
  const bool spie = s.mstatus & kMstatusSpie;
  const uint32_t spp = (s.mstatus & kMstatusSpp) ? kPrivS : kPrivU;
  s.mstatus &= ~(kMstatusSie | kMstatusSpp | kMstatusMprv);
  s.mstatus |= (spie ? kMstatusSie : 0) | kMstatusSpie;
  s.priv = spp;
  s.res_addr = kNoReservation;
  return s.sepc;
}

uint64_t PendingInterrupt(const CpuState& s, uint64_t pins) {
  const uint64_t pending = ((s.mip & kMipWritable) | (pins & kAllInterrupts)) & s.mie;
  if (pending == 0) return 0;
  const bool m_enabled = s.priv < kPrivM || (s.mstatus & kMstatusMie);
  const bool s_enabled = s.priv < kPrivS || (s.priv == kPrivS && (s.mstatus & kMstatusSie));
  const uint64_t m_pending = m_enabled ? pending & ~s.mideleg : 0;
  const uint64_t s_pending = s_enabled ? pending & s.mideleg : 0;
  static constexpr int kPriority[] = {kIrqMExt, kIrqMSoft, kIrqMTimer,
                                      kIrqSExt, kIrqSSoft, kIrqSTimer};
  // M-level interrupts first, each group in the spec's priority order.
  for (uint64_t set : {m_pending, s_pending}) {
    for (int irq : kPriority) {
      if (set & (uint64_t{1} << irq)) return kInterruptBit | irq;
    }
  }
  return 0;
}

uint32_t TranslationFlags(const CpuState& s) {
  uint32_t f = s.priv & kFlagPrivMask;
  if (s.mstatus & kMstatusTvm) f |= kFlagTvm;
  if (s.mstatus & kMstatusTw) f |= kFlagTw;
  if (s.mstatus & kMstatusTsr) f |= kFlagTsr;
  if (s.mstatus & kMstatusFs) f |= kFlagFsOn;
  if ((s.mstatus & kMstatusFs) == kMstatusFs) f |= kFlagFsDirty;
  return f;
}

}  // namespace tcg::riscv64
