#ifndef TCG_RISCV64_MMU_H_
#define TCG_RISCV64_MMU_H_

#include <cstdint>

#include "tcg/riscv64/cpu_state.h"
#include "tcg/runtime/guest_memory_interface.h"
#include "tcg/runtime/softmmu.h"

namespace tcg::riscv64 {

// satp.MODE values (privileged spec 4.1.11, Table 4.4).
constexpr uint64_t kSatpModeBare = 0;
constexpr uint64_t kSatpModeSv39 = 8;
constexpr uint64_t kSatpModeSv48 = 9;
constexpr uint64_t kSatpPpnMask = (uint64_t{1} << 44) - 1;

// PTE bits (privileged spec 4.3.1).
constexpr uint64_t kPteV = 1u << 0;
constexpr uint64_t kPteR = 1u << 1;
constexpr uint64_t kPteW = 1u << 2;
constexpr uint64_t kPteX = 1u << 3;
constexpr uint64_t kPteU = 1u << 4;
constexpr uint64_t kPteG = 1u << 5;
constexpr uint64_t kPteA = 1u << 6;
constexpr uint64_t kPteD = 1u << 7;

// Sv39 / Sv48 address translation for one hart (privileged spec 4.3-4.5),
// run by the SoftMmu on TLB misses. Reads the hart's satp, privilege and
// mstatus (MPRV/MPP, SUM, MXR) at walk time; the hart flushes its TLB
// whenever any of them changes, and on SFENCE.VMA.
//
// A/D bits: updated by the walker (the "hardware update" scheme, Svadu
// behaviour, as QEMU does) with a compare-and-swap on the PTE, so a racing
// update by another hart or by software restarts the walk instead of being
// lost. PTEs must be in RAM: a PTE address outside RAM is an access fault
// (cause 1/5/7), everything else that the spec's algorithm rejects is a page
// fault (12/13/15) with the virtual address as tval.
// Not implemented: Svnapot and Svpbmt (their PTE bits are reserved: page
// fault), ASIDs (ASIDLEN = 0), PMP checks of the walk.
class PageWalker : public AddressTranslator {
 public:
  PageWalker(const CpuState* state, GuestMemoryInterface* memory)
      : state_(state), memory_(memory) {}

  bool Translate(uint64_t vaddr, MemAccess access, Result* out, MemFault* fault) override;

 private:
  const CpuState* state_;
  GuestMemoryInterface* memory_;
};

}  // namespace tcg::riscv64

#endif  // TCG_RISCV64_MMU_H_
