#ifndef TCG_RUNTIME_EXECUTOR_H_
#define TCG_RUNTIME_EXECUTOR_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "tcg/ir/ir.h"
#include "tcg/runtime/exec_context.h"
#include "tcg/runtime/guest_memory_interface.h"
#include "tcg/runtime/tb_cache.h"

namespace tcg {

// Reads guest code for a translator, marking each page it touches as a code
// page before reading it (TbCache::MarkCodePage).
//
// With `mmu` (address translation on), `addr`s are virtual: each page is
// translated for fetch, and first_page()/last_page() are physical.
class CodeFetcher {
 public:
  CodeFetcher(GuestMemoryInterface* mem, TbCache* cache, uint64_t start_pc,
              SoftMmu* mmu = nullptr);

  // Reads the 2-byte parcel at `addr` (must be 2-byte aligned). False if it
  // is not RAM (instruction access fault) or translation refused it
  // (page_fault() is then true: instruction page fault).
  bool Read16(uint64_t addr, uint16_t* out);
  bool page_fault() const { return page_fault_; }
  // Whether any read failed (the block then ends in a fault exit that must
  // not be cached: the page may be mapped by the time the hart retries).
  bool faulted() const { return faulted_; }

  // Every parcel read, in order (TranslationBlock::source).
  std::vector<TranslationBlock::Parcel> TakeParcels() { return std::move(parcels_); }

  uint64_t first_page() const { return first_page_; }
  uint64_t last_page() const { return last_page_; }

 private:
  GuestMemoryInterface* mem_;
  TbCache* cache_;
  SoftMmu* mmu_;
  uint64_t first_page_;
  uint64_t last_page_;
  bool started_ = false;
  bool page_fault_ = false;
  bool faulted_ = false;
  uint64_t marked_[2] = {~uint64_t{0}, ~uint64_t{0}};
  std::vector<TranslationBlock::Parcel> parcels_;
};

// Turns guest code at `pc` into an IR block (a guest frontend).
using TranslateFn =
    std::function<absl::StatusOr<ir::Block>(uint64_t pc, uint32_t flags, CodeFetcher&)>;

// Runs translated blocks (a host backend: interpreter or native code).
class Backend {
 public:
  virtual ~Backend() = default;
  // Prepares `tb` for execution (e.g. emits host code). Called once, before
  // the block is shared.
  virtual absl::Status Compile(TranslationBlock& tb) = 0;
  // Runs `tb` on `ctx`; writes the next guest PC to the state block. A
  // backend that chains may run further blocks (ExecContext chain fields)
  // and counts retired instructions itself.
  virtual ExitInfo Execute(const TranslationBlock& tb, ExecContext& ctx) = 0;
  // Points the chain slot a block left through (ctx.chain_slot) at
  // `target`, valid while the link generation is `link_generation`.
  virtual void Link(void* /*slot*/, const TranslationBlock& /*target*/,
                    uint64_t /*link_generation*/) {}
  // Where chained code may jump to enter `tb`; nullptr if not supported.
  virtual const void* ChainEntry(const TranslationBlock& /*tb*/) { return nullptr; }
};

// One vCPU's dispatch loop: find (or translate) the block at the current
// guest PC, run it, repeat until a block exits with a reason. Owns a small
// direct-mapped lookup cache in front of the shared TbCache.
class Executor {
 public:
  Executor(TbCache* cache, Backend* backend, TranslateFn translate,
           ExecContext* ctx);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs until an exit (returned) or until `max_blocks` blocks ran or a stop
  // was requested (returned with reason kNone and the current pc). Blocks
  // are found by (pc, flags, physical pc): the fetch goes through the
  // SoftMmu's translation, whose refusal is a kMemFault exit (kFetch).
  // A translation error is returned as a status (a bug, not a guest fault:
  // frontends turn undecodable guest code into exception exits).
  absl::StatusOr<ExitInfo> Run(uint32_t flags, uint64_t max_blocks);

  // Thread-safe: makes Run return after the current block.
  void RequestStop() { stop_.store(true, std::memory_order_release); }

  uint64_t blocks_executed() const { return blocks_executed_; }
  // Blocks entered from the dispatcher (the rest were reached by chaining).
  uint64_t dispatches() const { return dispatches_; }

 private:
  // Raw block pointer, valid while the cache's Generation() equals
  // `generation` (no block was removed since it was filled): a generation
  // change invalidates every entry without touching them, and a hit copies
  // no shared_ptr (whose refcount all vCPUs would bounce between cores).
  struct JumpEntry {
    uint64_t pc = ~uint64_t{0};
    uint64_t phys = 0;
    uint64_t generation = ~uint64_t{0};
    uint32_t flags = 0;
    const TranslationBlock* tb = nullptr;
  };
  static constexpr size_t kJumpCacheSize = 4096;  // a booting kernel misses 1024 often

  // The returned block stays alive until the dispatcher publishes a newer
  // link generation (TbCache's retire rule) or, if it could not be cached,
  // until the next call (held by `uncached_`).
  // `phys`: guest-physical address of pc (== pc without translation).
  absl::StatusOr<const TranslationBlock*> FindOrTranslate(uint64_t pc, uint64_t phys,
                                                          uint32_t flags);

  bool SecondPageCurrent(const TranslationBlock& tb) {
    return tb.last_page == tb.first_page || SecondPageMapsTo(tb);
  }
  bool SecondPageMapsTo(const TranslationBlock& tb);

  TbCache* cache_;
  Backend* backend_;
  TranslateFn translate_;
  ExecContext* ctx_;
  std::atomic<bool> stop_{false};
  // Link generation last seen outside generated code (TbCache::kIdle when
  // not in Run); lets the cache free retired blocks (TbCache::Reclaim).
  std::atomic<uint64_t> quiescent_{TbCache::kIdle};
  uint64_t generation_ = 0;
  uint64_t blocks_executed_ = 0;
  uint64_t dispatches_ = 0;
  std::array<JumpEntry, kJumpCacheSize> jump_cache_;
  TbPtr uncached_;  // keeps a block that could not be cached alive while it runs
  std::array<IndirectEntry, kIndirectEntries> indirect_cache_;
  uint64_t seen_flushes_ = 0;  // SoftMmu::flush_count() when indirect_cache_ was valid
};

}  // namespace tcg

#endif  // TCG_RUNTIME_EXECUTOR_H_
