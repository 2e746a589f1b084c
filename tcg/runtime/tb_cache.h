#ifndef TCG_RUNTIME_TB_CACHE_H_
#define TCG_RUNTIME_TB_CACHE_H_

#include <atomic>
#include <bitset>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "tcg/runtime/guest_memory_interface.h"
#include "tcg/runtime/translation_block.h"

namespace tcg {

// The translation-block cache shared by all vCPU threads of a VM, keyed by
// (guest PC, translation flags).
//
// Concurrency: lookups take a reader lock; inserts, invalidations and flushes
// a writer lock. Translation itself runs unlocked, so two vCPUs may translate
// the same block at once; the first insert wins and the other copy is
// dropped. A translation that raced with an invalidation is not cached (see
// BeginTranslation), so the cache never holds code older than a store that
// invalidated it. Blocks are owned by the cache; a removed block is retired
// and freed only once every registered vCPU has passed its dispatcher since
// (RegisterQuiescent/Reclaim), so vCPUs hold raw pointers on the hot path:
// no shared refcount bounces between host cores.
class TbCache : public CodeWriteObserver {
 public:
  struct Stats {
    uint64_t inserts = 0;
    uint64_t lookups_hit = 0;
    uint64_t lookups_miss = 0;
    uint64_t page_invalidations = 0;
    uint64_t flushes = 0;
    uint64_t discarded_races = 0;
    uint64_t code_fences = 0;    // FlushChanged calls
    uint64_t fence_dropped = 0;  // blocks Verify found changed
  };

  // `max_blocks`: when an insert finds the cache this full, everything is
  // flushed first (simpler and safer than partial eviction of chained code).
  explicit TbCache(size_t max_blocks = 1 << 16);

  // `phys_pc`: the guest-physical address of `pc` (kSamePc when untranslated).
  // The block stays valid until the caller's quiescent word (published
  // before the lookup) moves past its removal (see RegisterQuiescent).
  const TranslationBlock* Lookup(uint64_t pc, uint32_t flags,
               uint64_t phys_pc = TranslationBlock::kSamePc);

  // Call before reading guest code for a translation; pass the token to
  // Insert.
  uint64_t BeginTranslation() const {
    return invalidations_.load(std::memory_order_acquire);
  }
  // Marks `page` as holding code about to be translated. Must happen before
  // the translator reads the page's bytes, so that a racing store either
  // lands before the read or invalidates (and so bumps the token).
  void MarkCodePage(uint64_t page);

  // Caches `tb` unless an invalidation happened since `token` or another
  // thread inserted the same key first; returns the block to run. `*cached`
  // (if given) tells whether the returned block is the cache's: an uncached
  // one lives only as long as the returned pointer and must not be linked.
  TbPtr Insert(std::unique_ptr<TranslationBlock> tb, uint64_t token, bool* cached = nullptr);

  // Drops every block built from guest page `page`.
  void InvalidatePage(uint64_t page);
  // Drops everything (cache full).
  void Flush();
  // FENCE.I: blocks whose guest bytes (TranslationBlock::source) changed,
  // e.g. code written by device DMA, which bypasses the store tracking,
  // must not run again; the rest are kept. Lazily: this only starts a new
  // fence epoch and unlinks every chain and per-vCPU cache, so each block
  // comes back through a dispatcher, which Verify()s it once per epoch.
  // Translations in flight are not cached (they may predate the fence).
  void FlushChanged();
  uint64_t FenceEpoch() const { return fence_epoch_.load(std::memory_order_acquire); }
  // Whether `tb` (from Lookup) may run: true if its bytes still match `mem`
  // in the current fence epoch; else drops it from the cache (the caller
  // translates afresh).
  bool Verify(const TranslationBlock& tb, GuestMemoryInterface* mem);

  // Changes on every invalidation or flush: per-vCPU lookup caches holding
  // blocks compare it and drop their entries when it moves.
  uint64_t Generation() const {
    return generation_.load(std::memory_order_acquire);
  }

  // Direct chaining (Backend::Link). A chained edge is valid only while the
  // link generation equals the one it was linked in. It moves on every
  // invalidation, flush and newly marked code page (so a chain cannot skip
  // the dispatcher's SyncCodeEpoch after another vCPU starts translating a
  // page this one may hold a write TLB entry for).
  const std::atomic<uint64_t>* link_generation() const { return &link_generation_; }
  uint64_t LinkGeneration() const { return link_generation_.load(std::memory_order_acquire); }

  // Memory safety of chains: a vCPU may jump into a block that was removed
  // from the cache after the vCPU last left generated code, so removed
  // blocks are retired, not freed, until every registered vCPU has been in
  // its dispatcher since. Each executor registers a word holding the link
  // generation it last saw outside generated code (kIdle when not running).
  static constexpr uint64_t kIdle = ~uint64_t{0};
  void RegisterQuiescent(const std::atomic<uint64_t>* seen);
  void UnregisterQuiescent(const std::atomic<uint64_t>* seen);
  // Frees retired blocks no registered vCPU can still reach.
  void Reclaim();
  size_t retired() const { return retired_count_.load(std::memory_order_relaxed); }

  size_t size();
  Stats stats();

  // CodeWriteObserver.
  bool IsCodePage(uint64_t page_addr) override;
  bool OnCodeWrite(uint64_t addr, unsigned size) override;
  uint64_t CodeEpoch() override {
    return code_epoch_.load(std::memory_order_acquire);
  }

 private:
  struct Key {
    uint64_t pc;
    uint32_t flags;
    uint64_t phys;
    bool operator==(const Key& o) const {
      return pc == o.pc && flags == o.flags && phys == o.phys;
    }
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.pc, k.flags, k.phys);
    }
  };

  // Which 8-byte granules of a code page translated blocks were built from.
  static constexpr unsigned kGranuleBits = 3;
  using CodeBitmap = std::bitset<(kGuestPageSize >> kGranuleBits)>;

  void MarkBytesLocked(uint64_t addr, uint64_t len) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void InvalidatePageLocked(uint64_t page) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void BumpGeneration() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    generation_.fetch_add(1, std::memory_order_acq_rel);
    invalidations_.fetch_add(1, std::memory_order_acq_rel);
    link_generation_.fetch_add(1, std::memory_order_seq_cst);
  }
  void RetireLocked(TbPtr tb) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReclaimLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_blocks_;
  absl::Mutex mu_;
  absl::flat_hash_map<Key, TbPtr> blocks_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::vector<Key>> page_index_ ABSL_GUARDED_BY(mu_);
  // Pages translations were read from, with the bytes they cover.
  absl::flat_hash_map<uint64_t, CodeBitmap> code_pages_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  // Removed blocks with the link generation their removal started.
  std::vector<std::pair<uint64_t, TbPtr>> retired_ ABSL_GUARDED_BY(mu_);
  std::vector<const std::atomic<uint64_t>*> quiescent_ ABSL_GUARDED_BY(mu_);
  // Cache-line layout: generated code reads link_generation_ on every
  // chained edge and dispatchers read generation_/code_epoch_ per block, on
  // every host core; words written per lookup or per store to a code page
  // live on other lines, so those writes do not evict the read-mostly line.
  alignas(64) std::atomic<uint64_t> link_generation_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> code_epoch_{0};
  std::atomic<size_t> retired_count_{0};
  std::atomic<uint64_t> fence_epoch_{1};
  alignas(64) std::atomic<uint64_t> invalidations_{0};
  alignas(64) std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace tcg

#endif  // TCG_RUNTIME_TB_CACHE_H_
