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

// One vCPU's software TLB: guest-physical page -> host address, direct
// mapped. Hits on RAM are a compare and an add; misses, device (MMIO)
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

  // Drops every entry.
  void Flush();
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

 private:

  Entry& EntryFor(uint64_t addr) {
    return tlb_[(addr >> kGuestPageBits) % kEntries];
  }
  // Host address for [addr, addr+size) within one RAM page, filling the TLB
  // and invalidating translated code (for writes) as needed; nullptr if not
  // RAM.
  uint8_t* HostAddress(uint64_t addr, unsigned size, bool write);
  bool LoadSlow(uint64_t addr, ir::MemOp op, uint64_t* value, MemFault* f);
  bool StoreSlow(uint64_t addr, ir::MemOp op, uint64_t value, MemFault* f);

  GuestMemoryInterface* mem_;
  CodeWriteObserver* code_;
  uint64_t code_epoch_ = 0;
  Entry tlb_[kEntries];
};

static_assert(sizeof(SoftMmu::Entry) == (1u << SoftMmu::kEntryShift), "TLB entry size");
static_assert(offsetof(SoftMmu::Entry, read_tag) == 0 && offsetof(SoftMmu::Entry, write_tag) == 8 &&
                  offsetof(SoftMmu::Entry, addend) == 16,
              "generated code depends on the TLB entry layout");

}  // namespace tcg

#endif  // TCG_RUNTIME_SOFTMMU_H_
