#include "tcg/riscv64/mmu.h"

namespace tcg::riscv64 {
namespace {

constexpr uint64_t kPteReserved = uint64_t{0x3ff} << 54;  // N, PBMT, reserved
constexpr uint64_t kPtePpnMask = ((uint64_t{1} << 44) - 1) << 10;

MemFault PageFault(uint64_t vaddr, MemAccess access) {
  MemFault f{vaddr, access, false};
  f.page_fault = true;
  return f;
}

}  // namespace

bool PageWalker::Translate(uint64_t vaddr, MemAccess access, Result* out, MemFault* fault) {
  const CpuState& s = *state_;
  // Effective privilege (spec 3.1.6.3): MPRV makes M-mode loads and stores
  // translate and check as MPP; fetches always use the current privilege.
  uint32_t priv = s.priv;
  if (access != MemAccess::kFetch && priv == kPrivM && (s.mstatus & kMstatusMprv)) {
    priv = static_cast<uint32_t>((s.mstatus & kMstatusMpp) >> 11);
  }
  const uint64_t mode = s.satp >> 60;
  if (priv == kPrivM || mode == kSatpModeBare) {
    *out = Result{vaddr, true, true};
    return true;
  }
  const int levels = mode == kSatpModeSv48 ? 4 : 3;
  const int va_bits = 12 + 9 * levels;
  // The address must be sign-extended from bit va_bits-1 (spec 4.4.1).
  const int64_t sext = static_cast<int64_t>(vaddr << (64 - va_bits)) >> (64 - va_bits);
  if (static_cast<uint64_t>(sext) != vaddr) {
    *fault = PageFault(vaddr, access);
    return false;
  }
  const bool sum = s.mstatus & kMstatusSum;
  const bool mxr = s.mstatus & kMstatusMxr;

  uint64_t table = (s.satp & kSatpPpnMask) << kGuestPageBits;
  for (int level = levels - 1; level >= 0; --level) {
    const uint64_t vpn = (vaddr >> (12 + 9 * level)) & 0x1ff;
    const uint64_t pte_addr = table + vpn * 8;
    uint8_t* page = memory_->RamPage(pte_addr & ~kGuestPageMask);
    if (page == nullptr) {  // spec 4.3.2 step 2: access fault
      *fault = MemFault{vaddr, access, false};
      return false;
    }
    auto* pte_ptr = reinterpret_cast<uint64_t*>(page + (pte_addr & kGuestPageMask));
    uint64_t pte = __atomic_load_n(pte_ptr, __ATOMIC_ACQUIRE);
    for (;;) {
      // Step 3: invalid, reserved W-without-R, or reserved high bits.
      if (!(pte & kPteV) || ((pte & kPteW) && !(pte & kPteR)) || (pte & kPteReserved)) {
        *fault = PageFault(vaddr, access);
        return false;
      }
      const bool leaf = pte & (kPteR | kPteX);
      if (!leaf) break;  // step 4: next level
      // Step 5: permissions for the effective privilege.
      const bool user_page = pte & kPteU;
      bool ok = priv == kPrivU ? user_page
                               : (!user_page || (sum && access != MemAccess::kFetch));
      const bool readable = (pte & kPteR) || (mxr && (pte & kPteX));
      switch (access) {
        case MemAccess::kFetch: ok = ok && (pte & kPteX); break;
        case MemAccess::kLoad: ok = ok && readable; break;
        case MemAccess::kStore: ok = ok && (pte & kPteW); break;
      }
      // Step 6: a superpage's low PPN fields must be zero.
      const uint64_t ppn = (pte & kPtePpnMask) >> 10;
      const uint64_t low_mask = (uint64_t{1} << (9 * level)) - 1;
      if (!ok || (ppn & low_mask) != 0) {
        *fault = PageFault(vaddr, access);
        return false;
      }
      // Step 7: set A (and D for stores) atomically; a PTE changed under us
      // means walking again from this PTE's new value.
      uint64_t want = pte | kPteA | (access == MemAccess::kStore ? kPteD : 0);
      if (want != pte) {
        if (!__atomic_compare_exchange_n(pte_ptr, &pte, want, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE)) {
          continue;  // `pte` now holds the current value
        }
        pte = want;
      }
      // Step 8: superpages take the low VPN fields from the address.
      const uint64_t page_number = (ppn & ~low_mask) | ((vaddr >> 12) & low_mask);
      out->paddr = (page_number << 12) | (vaddr & kGuestPageMask);
      out->cache_read = readable && (priv == kPrivU ? user_page : (!user_page || sum));
      out->cache_write = out->cache_read && (pte & kPteW) && (pte & kPteD);
      return true;
    }
    table = ((pte & kPtePpnMask) >> 10) << kGuestPageBits;
  }
  *fault = PageFault(vaddr, access);  // no leaf at level 0
  return false;
}

}  // namespace tcg::riscv64
