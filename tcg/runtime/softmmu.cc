#include "tcg/runtime/softmmu.h"

#include <cstring>

namespace tcg {
namespace {

uint64_t Extend(uint64_t raw, ir::MemOp op) {
  switch (op.log2_size) {
    case 0: return op.sign ? static_cast<uint64_t>(static_cast<int8_t>(raw)) : static_cast<uint8_t>(raw);
    case 1: return op.sign ? static_cast<uint64_t>(static_cast<int16_t>(raw)) : static_cast<uint16_t>(raw);
    case 2: return op.sign ? static_cast<uint64_t>(static_cast<int32_t>(raw)) : static_cast<uint32_t>(raw);
    default: return raw;
  }
}

// Aligned accesses are single host accesses (relaxed atomics), so a racing
// vCPU never sees a torn value; RVWMO requires single-copy atomicity for
// aligned accesses (unprivileged spec 17.1).
uint64_t HostRead(const uint8_t* p, unsigned size) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if ((a & (size - 1)) == 0) {
    switch (size) {
      case 1: return __atomic_load_n(p, __ATOMIC_RELAXED);
      case 2: return __atomic_load_n(reinterpret_cast<const uint16_t*>(p), __ATOMIC_RELAXED);
      case 4: return __atomic_load_n(reinterpret_cast<const uint32_t*>(p), __ATOMIC_RELAXED);
      case 8: return __atomic_load_n(reinterpret_cast<const uint64_t*>(p), __ATOMIC_RELAXED);
    }
  }
  uint64_t v = 0;
  std::memcpy(&v, p, size);  // little-endian host and guest
  return v;
}

void HostWrite(uint8_t* p, unsigned size, uint64_t v) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if ((a & (size - 1)) == 0) {
    switch (size) {
      case 1: __atomic_store_n(p, static_cast<uint8_t>(v), __ATOMIC_RELAXED); return;
      case 2: __atomic_store_n(reinterpret_cast<uint16_t*>(p), static_cast<uint16_t>(v), __ATOMIC_RELAXED); return;
      case 4: __atomic_store_n(reinterpret_cast<uint32_t*>(p), static_cast<uint32_t>(v), __ATOMIC_RELAXED); return;
      case 8: __atomic_store_n(reinterpret_cast<uint64_t*>(p), v, __ATOMIC_RELAXED); return;
    }
  }
  std::memcpy(p, &v, size);
}

template <typename T>
T RmwCompute(AtomicOp aop, T cur, T val) {
  using S = std::make_signed_t<T>;
  switch (aop) {
    case AtomicOp::kXchg: return val;
    case AtomicOp::kAdd: return static_cast<T>(cur + val);
    case AtomicOp::kAnd: return cur & val;
    case AtomicOp::kOr: return cur | val;
    case AtomicOp::kXor: return cur ^ val;
    case AtomicOp::kMinS: return static_cast<S>(cur) < static_cast<S>(val) ? cur : val;
    case AtomicOp::kMaxS: return static_cast<S>(cur) > static_cast<S>(val) ? cur : val;
    case AtomicOp::kMinU: return cur < val ? cur : val;
    case AtomicOp::kMaxU: return cur > val ? cur : val;
    case AtomicOp::kCmpXchg: break;
  }
  return cur;
}

// Sequentially consistent host atomics: at least as strong as any AMO
// .aq/.rl combination (RVWMO), and a CAS loop never livelocks since some
// thread's CAS always succeeds.
template <typename T>
T HostAtomic(AtomicOp aop, uint8_t* p, uint64_t value, uint64_t expected) {
  T* ptr = reinterpret_cast<T*>(p);
  const T val = static_cast<T>(value);
  switch (aop) {
    case AtomicOp::kCmpXchg: {
      T exp = static_cast<T>(expected);
      __atomic_compare_exchange_n(ptr, &exp, val, false, __ATOMIC_SEQ_CST,
                                  __ATOMIC_SEQ_CST);
      return exp;  // the old value either way
    }
    case AtomicOp::kXchg: return __atomic_exchange_n(ptr, val, __ATOMIC_SEQ_CST);
    case AtomicOp::kAdd: return __atomic_fetch_add(ptr, val, __ATOMIC_SEQ_CST);
    case AtomicOp::kAnd: return __atomic_fetch_and(ptr, val, __ATOMIC_SEQ_CST);
    case AtomicOp::kOr: return __atomic_fetch_or(ptr, val, __ATOMIC_SEQ_CST);
    case AtomicOp::kXor: return __atomic_fetch_xor(ptr, val, __ATOMIC_SEQ_CST);
    default: {
      T cur = __atomic_load_n(ptr, __ATOMIC_RELAXED);
      while (!__atomic_compare_exchange_n(ptr, &cur, RmwCompute(aop, cur, val),
                                          false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_RELAXED)) {
      }
      return cur;
    }
  }
}

}  // namespace

SoftMmu::SoftMmu(GuestMemoryInterface* mem, CodeWriteObserver* code)
    : mem_(mem), code_(code) {
  if (code_ != nullptr) code_epoch_ = code_->CodeEpoch();
  Flush();
}

void SoftMmu::ClearBank(unsigned bank) {
  for (Entry& e : banks_[bank]) e = Entry{kInvalidTag, kInvalidTag, 0, 0};
  for (FetchEntry& e : fetch_banks_[bank]) e = FetchEntry{kInvalidTag, 0};
  stale_[bank] = false;
}

void SoftMmu::Flush() {
  for (unsigned b = 0; b < kBanks; ++b) stale_[b] = b != bank_;
  ClearBank(bank_);
  ++flush_count_;
}

void SoftMmu::SelectBank(unsigned bank) {
  bank = bank % kBanks;
  if (bank == bank_) return;
  bank_ = bank;
  if (stale_[bank]) ClearBank(bank);
  tlb_ = banks_[bank];
  itlb_ = fetch_banks_[bank];
}

void SoftMmu::SetTranslator(AddressTranslator* translator) {
  translator_ = translator;
  Flush();
}

bool SoftMmu::TranslateFetch(uint64_t pc, uint64_t* paddr, MemFault* fault) {
  if (translator_ == nullptr) {
    *paddr = pc;
    return true;
  }
  const uint64_t vpage = pc & ~kGuestPageMask;
  FetchEntry& e = itlb_[(pc >> kGuestPageBits) % kFetchEntries];
  if (e.vpage != vpage) {
    AddressTranslator::Result r;
    if (!translator_->Translate(vpage, MemAccess::kFetch, &r, fault)) {
      fault->addr = pc;
      return false;
    }
    e = FetchEntry{vpage, r.paddr & ~kGuestPageMask};
  }
  *paddr = e.ppage | (pc & kGuestPageMask);
  return true;
}

void SoftMmu::SyncCodeEpoch() {
  if (code_ == nullptr) return;
  const uint64_t epoch = code_->CodeEpoch();
  if (epoch == code_epoch_) return;
  code_epoch_ = epoch;
  for (auto& bank : banks_) {
    for (Entry& e : bank) e.write_tag = kInvalidTag;
  }
}

bool SoftMmu::Resolve(uint64_t addr, unsigned size, bool write, uint8_t** host,
                      uint64_t* paddr, MemFault* fault) {
  const uint64_t page = addr & ~kGuestPageMask;
  Entry& e = EntryFor(addr);
  if ((write ? e.write_tag : e.read_tag) == page &&
      (addr & kGuestPageMask) + size <= kGuestPageSize) {
    *host = reinterpret_cast<uint8_t*>(addr + e.addend);
    *paddr = ~uint64_t{0};  // unused by callers on a RAM hit
    return true;
  }
  AddressTranslator::Result r{addr, true, true};
  if (translator_ != nullptr &&
      !translator_->Translate(addr, write ? MemAccess::kStore : MemAccess::kLoad, &r, fault)) {
    return false;
  }
  *paddr = r.paddr;
  const uint64_t ppage = r.paddr & ~kGuestPageMask;
  uint8_t* ram = (addr & kGuestPageMask) + size <= kGuestPageSize ? mem_->RamPage(ppage) : nullptr;
  if (ram == nullptr) {
    *host = nullptr;
    return true;
  }
  // Keep stores from silently updating translated code: translations of
  // the bytes written are dropped first. While the page still holds other
  // code, no write entry is cached, so every store to it comes back here.
  bool cache_write = write && r.cache_write;
  if (write && code_ != nullptr && code_->OnCodeWrite(r.paddr, size)) cache_write = false;
  // A fill for one kind of access must not leave a stale entry of the other
  // kind for a different page in the same slot.
  if (e.read_tag != page) e.read_tag = kInvalidTag;
  if (e.write_tag != page) e.write_tag = kInvalidTag;
  e.addend = reinterpret_cast<uintptr_t>(ram) - page;
  if (r.cache_read) e.read_tag = page;
  // A later translation from this page bumps the code epoch, which drops a
  // cached write entry before the next block runs (SyncCodeEpoch).
  if (write) e.write_tag = cache_write ? page : kInvalidTag;
  *host = ram + (addr & kGuestPageMask);
  return true;
}

bool SoftMmu::Load(uint64_t addr, ir::MemOp op, uint64_t* value,
                   MemFault* fault) {
  const unsigned size = op.size();
  if (op.aligned && (addr & (size - 1)) != 0) {
    *fault = MemFault{addr, MemAccess::kLoad, true};
    return false;
  }
  const Entry& e = EntryFor(addr);
  if (e.read_tag == (addr & ~kGuestPageMask) &&
      (addr & kGuestPageMask) + size <= kGuestPageSize) {
    *value = Extend(HostRead(reinterpret_cast<uint8_t*>(addr + e.addend), size), op);
    return true;
  }
  return LoadSlow(addr, op, value, fault);
}

bool SoftMmu::LoadSlow(uint64_t addr, ir::MemOp op, uint64_t* value,
                       MemFault* fault) {
  const unsigned size = op.size();
  if ((addr & kGuestPageMask) + size > kGuestPageSize) {
    // Crosses a page: assemble from bytes (each may be RAM or not).
    uint64_t raw = 0;
    for (unsigned i = 0; i < size; ++i) {
      uint64_t b;
      if (!Load(addr + i, ir::MemOp{}, &b, fault)) return false;
      raw |= b << (8 * i);
    }
    *value = Extend(raw, op);
    return true;
  }
  uint8_t* host;
  uint64_t paddr;
  if (!Resolve(addr, size, false, &host, &paddr, fault)) return false;
  if (host != nullptr) {
    *value = Extend(HostRead(host, size), op);
    return true;
  }
  absl::StatusOr<uint64_t> v = mem_->MmioRead(paddr, size);
  if (!v.ok()) {
    *fault = MemFault{addr, MemAccess::kLoad, false};
    return false;
  }
  *value = Extend(*v, op);
  return true;
}

bool SoftMmu::Store(uint64_t addr, ir::MemOp op, uint64_t value,
                    MemFault* fault) {
  const unsigned size = op.size();
  if (op.aligned && (addr & (size - 1)) != 0) {
    *fault = MemFault{addr, MemAccess::kStore, true};
    return false;
  }
  const Entry& e = EntryFor(addr);
  if (e.write_tag == (addr & ~kGuestPageMask) &&
      (addr & kGuestPageMask) + size <= kGuestPageSize) {
    HostWrite(reinterpret_cast<uint8_t*>(addr + e.addend), size, value);
    return true;
  }
  return StoreSlow(addr, op, value, fault);
}

bool SoftMmu::StoreSlow(uint64_t addr, ir::MemOp op, uint64_t value,
                        MemFault* fault) {
  const unsigned size = op.size();
  if ((addr & kGuestPageMask) + size > kGuestPageSize) {
    // Check both pages first so a faulting store writes nothing.
    const uint64_t last = addr + size - 1;
    for (uint64_t a : {addr, last}) {
      uint8_t* host;
      uint64_t paddr;
      if (!Resolve(a, 1, true, &host, &paddr, fault)) return false;
      if (host == nullptr) {
        *fault = MemFault{a, MemAccess::kStore, false};
        return false;
      }
    }
    for (unsigned i = 0; i < size; ++i) {
      if (!Store(addr + i, ir::MemOp{}, value >> (8 * i), fault)) return false;
    }
    return true;
  }
  uint8_t* host;
  uint64_t paddr;
  if (!Resolve(addr, size, true, &host, &paddr, fault)) return false;
  if (host != nullptr) {
    HostWrite(host, size, value);
    return true;
  }
  const uint64_t mask = size == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1;
  if (!mem_->MmioWrite(paddr, size, value & mask).ok()) {
    *fault = MemFault{addr, MemAccess::kStore, false};
    return false;
  }
  return true;
}

bool SoftMmu::Atomic(AtomicOp aop, uint64_t addr, ir::MemOp op, uint64_t value,
                     uint64_t expected, uint64_t* old, MemFault* fault) {
  const unsigned size = op.size();
  if ((addr & (size - 1)) != 0) {
    *fault = MemFault{addr, MemAccess::kStore, true};
    return false;
  }
  uint8_t* host;
  uint64_t paddr;
  if (!Resolve(addr, size, true, &host, &paddr, fault)) return false;
  if (host == nullptr) {  // atomics on devices are not supported: fault
    *fault = MemFault{addr, MemAccess::kStore, false};
    return false;
  }
  uint64_t raw = 0;
  switch (size) {
    case 1: raw = HostAtomic<uint8_t>(aop, host, value, expected); break;
    case 2: raw = HostAtomic<uint16_t>(aop, host, value, expected); break;
    case 4: raw = HostAtomic<uint32_t>(aop, host, value, expected); break;
    default: raw = HostAtomic<uint64_t>(aop, host, value, expected); break;
  }
  *old = Extend(raw, op);
  return true;
}

}  // namespace tcg
