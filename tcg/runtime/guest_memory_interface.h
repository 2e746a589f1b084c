#ifndef TCG_RUNTIME_GUEST_MEMORY_INTERFACE_H_
#define TCG_RUNTIME_GUEST_MEMORY_INTERFACE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tcg {

constexpr unsigned kGuestPageBits = 12;
constexpr uint64_t kGuestPageSize = uint64_t{1} << kGuestPageBits;
constexpr uint64_t kGuestPageMask = kGuestPageSize - 1;

// What the JIT needs from the machine: where guest RAM is, and a way to reach
// everything else (MMIO devices). The machine glue (accel/tcg) implements it
// over the VMM's memory map and bus; tests implement it with a flat buffer.
// tcg/ never sees device models or KVM.
class GuestMemoryInterface {
 public:
  virtual ~GuestMemoryInterface() = default;

  // Host address of the 4 KiB guest-physical page starting at `page_addr`
  // when it is ordinary RAM, else nullptr. The pointer must stay valid for
  // the lifetime of this interface (the TLB caches it).
  virtual uint8_t* RamPage(uint64_t page_addr) = 0;

  // Device accesses (size 1, 2, 4 or 8; never crossing a page). An error
  // becomes a guest access fault.
  virtual absl::StatusOr<uint64_t> MmioRead(uint64_t addr, unsigned size) = 0;
  virtual absl::Status MmioWrite(uint64_t addr, unsigned size,
                                 uint64_t value) = 0;
};

// Told about guest stores to pages holding translated code, so the code cache
// can drop stale translations (self-modifying code). Implemented by the
// translation-block cache.
class CodeWriteObserver {
 public:
  virtual ~CodeWriteObserver() = default;
  // True if translated code was built from guest page `page_addr`.
  virtual bool IsCodePage(uint64_t page_addr) = 0;
  // A store to [addr, addr+size) (within one page) is about to happen:
  // drop every translation built from the bytes it touches. Returns true
  // while the page still holds translated code elsewhere, so stores to it
  // must keep coming here (no TLB write entry); false once it holds none.
  virtual bool OnCodeWrite(uint64_t addr, unsigned size) = 0;
  // Changes whenever some page newly becomes a code page; TLBs that cached
  // write access before that must refill (see SoftMmu::SyncCodeEpoch).
  virtual uint64_t CodeEpoch() = 0;
};

}  // namespace tcg

#endif  // TCG_RUNTIME_GUEST_MEMORY_INTERFACE_H_
