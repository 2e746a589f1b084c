#ifndef TCG_RUNTIME_SOFTMMU_H_
#define TCG_RUNTIME_SOFTMMU_H_

#include <cstddef>
#include <cstdint>

#include "tcg/ir/opcode.h"
#include "tcg/runtime/exec_context.h"
#include "tcg/runtime/guest_memory_interface.h"

namespace tcg {

enum class AtomicOp : uint8_t {
  kCmpXchg, kXchg, kAdd, kAnd, kOr, kXor, kMinS, kMaxS, kMinU, kMaxU,
};

// Guest virtual -> physical translation, supplied by a guest frontend
// (riscv64: Sv39/Sv48 page walk). Called on TLB misses only, on the vCPU's
// thread.
class AddressTranslator {
 public:
  virtual ~AddressTranslator() = default;
  struct Result {
    uint64_t paddr = 0;
    // Whether later accesses of that kind to the same virtual page may hit
    // the TLB without asking again (permission granted and, for writes,
    // the dirty bit already set).
    bool cache_read = false;
    bool cache_write = false;
  };
  // Translates `vaddr` for `access`. On refusal fills `fault` (page_fault
  // or access fault, addr = vaddr) and returns false.
  virtual bool Translate(uint64_t vaddr, MemAccess access, Result* out, MemFault* fault) = 0;
};

// One vCPU's software TLB: guest page -> host address, direct mapped.
// Tagged by the address the guest uses: virtual when a translator is set
// (then Flush() on every address-space change, and one bank per privilege),
// else physical. Hits on RAM are a compare and an add; misses, device (MMIO)
// addresses, accesses crossing a page and stores to pages holding translated
// code take the slow path. Not thread-safe: each vCPU thread owns one.
//
// Guest accesses never produce a host pointer outside what RamPage()
// returned, whatever the address: a bad address is a MemFault.
class SoftMmu {
 public:
  static constexpr unsigned kEntries = 256;

  // `code` may be null (no code cache to keep coherent).
  SoftMmu(GuestMemoryInterface* mem, CodeWriteObserver* code);

  // Turns on address translation through `translator` (null: off). The
  // TLB is flushed.
  void SetTranslator(AddressTranslator* translator);

  // The guest-physical address instruction fetch from `pc` reads (through a
  // small fetch TLB). False with `fault` (kFetch) if translation refuses.
  bool TranslateFetch(uint64_t pc, uint64_t* paddr, MemFault* fault);

  // Value is zero/sign-extended to 64 bits per `op`. Misaligned plain
  // accesses are performed (byte by byte when they cross a page) unless
  // op.aligned is set.
  bool Load(uint64_t addr, ir::MemOp op, uint64_t* value, MemFault* fault);
  bool Store(uint64_t addr, ir::MemOp op, uint64_t value, MemFault* fault);
  // Read-modify-write on RAM only, naturally aligned (else fault). `old`
  // gets the previous value, extended per `op`. For kCmpXchg, `value` is
  // the replacement and `expected` the comparand.
  bool Atomic(AtomicOp aop, uint64_t addr, ir::MemOp op, uint64_t value,
              uint64_t expected, uint64_t* old, MemFault* fault);

  // Drops every entry (data and fetch) of every bank.
  void Flush();
  // Banks: one TLB (data + fetch) per translation context the frontend
  // distinguishes (riscv64: the privilege mode, as U, S and M translate the
  // same address differently), so switching context is a pointer change,
  // not a flush. Flush() empties the current bank at once and the others
  // when next selected. The inlined fast path must reload tlb_base().
  static constexpr unsigned kBanks = 4;
  void SelectBank(unsigned bank);
  // How many times Flush() ran: per-hart caches of virtual-pc lookups (the
  // executor's indirect-jump cache) are stale once it changes.
  uint64_t flush_count() const { return flush_count_; }
  // Drops write entries if pages became code pages since the last call
  // (called by the dispatcher between blocks).
  void SyncCodeEpoch();

  GuestMemoryInterface* memory() { return mem_; }

  // The TLB layout, for backends that inline the fast path: entry i covers
  // page (addr >> 12) % kEntries; a hit for an access of `size` bytes is
  // tag == ((addr + size - 1) & ~0xfff) (so page-crossing accesses miss),
  // and then host = addr + addend.
  struct Entry {
    uint64_t read_tag;   // page address, or kInvalidTag
    uint64_t write_tag;  // page address, or kInvalidTag
    uintptr_t addend;    // host = guest + addend
    uint64_t pad;        // 32-byte entries: index scaling is a shift
  };
  static constexpr unsigned kEntryShift = 5;
  static constexpr uint64_t kInvalidTag = ~uint64_t{0};
  uint8_t* tlb_base() { return reinterpret_cast<uint8_t*>(tlb_); }
  unsigned bank() const { return bank_; }

 private:

  Entry& EntryFor(uint64_t addr) {
    return tlb_[(addr >> kGuestPageBits) % kEntries];
  }
  // Resolves [addr, addr+size) within one page: translates it (false with
  // `fault` if refused), then sets *host to the host address when it is
  // RAM (filling the TLB and invalidating translated code for writes as
  // needed) or nullptr for a device, and *paddr to the physical address.
  bool Resolve(uint64_t addr, unsigned size, bool write, uint8_t** host, uint64_t* paddr,
               MemFault* fault);
  bool LoadSlow(uint64_t addr, ir::MemOp op, uint64_t* value, MemFault* f);
  bool StoreSlow(uint64_t addr, ir::MemOp op, uint64_t value, MemFault* f);

  GuestMemoryInterface* mem_;
  CodeWriteObserver* code_;
  AddressTranslator* translator_ = nullptr;
  // Fetch TLB: virtual page -> physical page (translation on only).
  struct FetchEntry {
    uint64_t vpage;
    uint64_t ppage;
  };
  static constexpr unsigned kFetchEntries = 64;
  void ClearBank(unsigned bank);

  uint64_t code_epoch_ = 0;
  uint64_t flush_count_ = 0;
  unsigned bank_ = 0;
  bool stale_[kBanks] = {};  // flushed while not selected
  Entry banks_[kBanks][kEntries];
  FetchEntry fetch_banks_[kBanks][kFetchEntries];
  Entry* tlb_ = banks_[0];
  FetchEntry* itlb_ = fetch_banks_[0];
};

static_assert(sizeof(SoftMmu::Entry) == (1u << SoftMmu::kEntryShift), "TLB entry size");
static_assert(offsetof(SoftMmu::Entry, read_tag) == 0 && offsetof(SoftMmu::Entry, write_tag) == 8 &&
                  offsetof(SoftMmu::Entry, addend) == 16,
              "generated code depends on the TLB entry layout");

}  // namespace tcg

#endif  // TCG_RUNTIME_SOFTMMU_H_
