#include "tcg/runtime/tb_cache.h"

#include <algorithm>
#include <utility>

namespace tcg {

TbCache::TbCache(size_t max_blocks) : max_blocks_(max_blocks == 0 ? 1 : max_blocks) {}

const TranslationBlock* TbCache::Lookup(uint64_t pc, uint32_t flags, uint64_t phys_pc) {
  absl::ReaderMutexLock lock(&mu_);
  auto it = blocks_.find(Key{pc, flags, phys_pc == TranslationBlock::kSamePc ? pc : phys_pc});
  if (it == blocks_.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  return it->second.get();
}

void TbCache::MarkCodePage(uint64_t page) {
  absl::MutexLock lock(&mu_);
  if (code_pages_.try_emplace(page).second) {
    // Other vCPUs may hold write TLB entries for this page; make them
    // refill (and so notice the code) before their next block, which also
    // means leaving their chains.
    code_epoch_.fetch_add(1, std::memory_order_acq_rel);
    link_generation_.fetch_add(1, std::memory_order_seq_cst);
  }
}

TbPtr TbCache::Insert(std::unique_ptr<TranslationBlock> tb, uint64_t token, bool* cached) {
  absl::MutexLock lock(&mu_);
  if (cached != nullptr) *cached = false;
  if (invalidations_.load(std::memory_order_acquire) != token) {
    // Some store or flush happened while we translated: the bytes we read
    // may be stale. Run this copy once, but do not cache it.
    ++stats_.discarded_races;
    return TbPtr(std::move(tb));
  }
  const Key key{tb->pc, tb->flags, tb->code_addr()};
  if (cached != nullptr) *cached = true;
  if (auto it = blocks_.find(key); it != blocks_.end()) return it->second;
  if (blocks_.size() >= max_blocks_) {
    FlushLocked();
    // The flush bumped the token; this block was read before it, but a
    // capacity flush does not make guest code stale, so keep it. Pages must
    // be re-marked because the flush forgot them.
    code_epoch_.fetch_add(1, std::memory_order_acq_rel);
  }
  {
    // The code's bytes; under address translation the second page need
    // not follow the first physically.
    const uint64_t start = tb->code_addr();
    const uint64_t in_first =
        std::min<uint64_t>(tb->block.guest_bytes, kGuestPageSize - (start & kGuestPageMask));
    MarkBytesLocked(start, in_first);
    if (in_first < tb->block.guest_bytes) {
      MarkBytesLocked(tb->last_page, tb->block.guest_bytes - in_first);
    }
  }
  TbPtr ptr(std::move(tb));
  blocks_.emplace(key, ptr);
  page_index_[ptr->first_page].push_back(key);
  if (ptr->last_page != ptr->first_page) page_index_[ptr->last_page].push_back(key);
  ++stats_.inserts;
  return ptr;
}

void TbCache::MarkBytesLocked(uint64_t addr, uint64_t len) {
  // Granules [addr, addr + len), possibly spanning two pages.
  for (uint64_t a = addr & ~uint64_t{(1u << kGranuleBits) - 1}; a < addr + len;
       a += 1u << kGranuleBits) {
    code_pages_[a & ~kGuestPageMask].set((a & kGuestPageMask) >> kGranuleBits);
  }
}

void TbCache::InvalidatePageLocked(uint64_t page) {
  code_pages_.erase(page);
  auto it = page_index_.find(page);
  if (it == page_index_.end()) return;
  for (const Key& key : it->second) {
    auto b = blocks_.find(key);
    if (b == blocks_.end()) continue;
    const TranslationBlock& tb = *b->second;
    // The key may since have been reused by a block from other pages.
    if (tb.first_page == page || tb.last_page == page) {
      RetireLocked(std::move(b->second));
      blocks_.erase(b);
    }
  }
  page_index_.erase(it);
  ++stats_.page_invalidations;
}

void TbCache::InvalidatePage(uint64_t page) {
  absl::MutexLock lock(&mu_);
  InvalidatePageLocked(page);
  BumpGeneration();
  ReclaimLocked();
}

// Tagged with the generation the pending BumpGeneration will publish: a
// vCPU that has seen it in its dispatcher can no longer reach `tb`.
void TbCache::RetireLocked(TbPtr tb) {
  retired_.emplace_back(link_generation_.load(std::memory_order_relaxed) + 1, std::move(tb));
  retired_count_.store(retired_.size(), std::memory_order_relaxed);
}

void TbCache::ReclaimLocked() {
  if (retired_.empty()) return;
  uint64_t min_seen = kIdle;
  for (const std::atomic<uint64_t>* q : quiescent_) {
    min_seen = std::min(min_seen, q->load(std::memory_order_seq_cst));
  }
  size_t kept = 0;
  for (auto& r : retired_) {
    if (r.first > min_seen) retired_[kept++] = std::move(r);
  }
  retired_.resize(kept);
  retired_count_.store(kept, std::memory_order_relaxed);
}

void TbCache::Reclaim() {
  absl::MutexLock lock(&mu_);
  ReclaimLocked();
}

void TbCache::RegisterQuiescent(const std::atomic<uint64_t>* seen) {
  absl::MutexLock lock(&mu_);
  quiescent_.push_back(seen);
}

void TbCache::UnregisterQuiescent(const std::atomic<uint64_t>* seen) {
  absl::MutexLock lock(&mu_);
  quiescent_.erase(std::remove(quiescent_.begin(), quiescent_.end(), seen), quiescent_.end());
}

void TbCache::FlushLocked() {
  for (auto& [key, tb] : blocks_) RetireLocked(std::move(tb));
  blocks_.clear();
  page_index_.clear();
  code_pages_.clear();
  ++stats_.flushes;
  BumpGeneration();
  ReclaimLocked();
}

void TbCache::Flush() {
  absl::MutexLock lock(&mu_);
  FlushLocked();
}

namespace {

bool SourceMatches(const TranslationBlock& tb, GuestMemoryInterface* mem) {
  uint64_t page = ~uint64_t{0};
  const uint8_t* host = nullptr;
  for (const TranslationBlock::Parcel& p : tb.source) {
    // Parcels are 2-byte aligned, so one never straddles a page.
    if ((p.paddr & ~kGuestPageMask) != page) {
      page = p.paddr & ~kGuestPageMask;
      host = mem->RamPage(page);
      if (host == nullptr) return false;
    }
    if (__atomic_load_n(reinterpret_cast<const uint16_t*>(host + (p.paddr & kGuestPageMask)),
                        __ATOMIC_RELAXED) != p.value) {
      return false;
    }
  }
  return true;
}

}  // namespace

void TbCache::FlushChanged() {
  absl::MutexLock lock(&mu_);
  ++stats_.code_fences;
  fence_epoch_.fetch_add(1, std::memory_order_acq_rel);
  // After the epoch: a dispatcher that sees the new generation verifies.
  BumpGeneration();
}

bool TbCache::Verify(const TranslationBlock& tb, GuestMemoryInterface* mem) {
  // Epoch first: a fence after this load makes the next lookup check again.
  const uint64_t epoch = fence_epoch_.load(std::memory_order_acquire);
  if (tb.verified_fence.load(std::memory_order_acquire) == epoch) return true;
  if (SourceMatches(tb, mem)) {
    tb.verified_fence.store(epoch, std::memory_order_release);
    return true;
  }
  absl::MutexLock lock(&mu_);
  auto it = blocks_.find(Key{tb.pc, tb.flags, tb.code_addr()});
  if (it != blocks_.end() && it->second.get() == &tb) {
    // page_index_ keeps the key; InvalidatePageLocked skips missing keys.
    RetireLocked(std::move(it->second));
    blocks_.erase(it);
    ++stats_.fence_dropped;
    BumpGeneration();  // unlinks chains into it
    ReclaimLocked();
  }
  return false;
}

size_t TbCache::size() {
  absl::ReaderMutexLock lock(&mu_);
  return blocks_.size();
}

TbCache::Stats TbCache::stats() {
  absl::ReaderMutexLock lock(&mu_);
  Stats s = stats_;
  s.lookups_hit = hits_.load(std::memory_order_relaxed);
  s.lookups_miss = misses_.load(std::memory_order_relaxed);
  return s;
}

bool TbCache::IsCodePage(uint64_t page_addr) {
  absl::ReaderMutexLock lock(&mu_);
  return code_pages_.contains(page_addr);
}

bool TbCache::OnCodeWrite(uint64_t addr, unsigned size) {
  const uint64_t page = addr & ~kGuestPageMask;
  const unsigned first = (addr & kGuestPageMask) >> kGranuleBits;
  const unsigned last = ((addr & kGuestPageMask) + (size == 0 ? 0 : size - 1)) >> kGranuleBits;
  auto overlaps = [&](const CodeBitmap& bits) {
    for (unsigned g = first; g <= last && g < bits.size(); ++g) {
      if (bits.test(g)) return true;
    }
    return false;
  };
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = code_pages_.find(page);
    if (it == code_pages_.end()) return false;
    if (!overlaps(it->second)) {
      // Not translated code, but a translation of these bytes may be in
      // flight (page marked, bits not yet set): make its Insert discard it.
      invalidations_.fetch_add(1, std::memory_order_acq_rel);
      return true;
    }
  }
  absl::MutexLock lock(&mu_);
  if (!code_pages_.contains(page)) return false;  // another vCPU got here first
  InvalidatePageLocked(page);
  BumpGeneration();
  ReclaimLocked();
  return false;
}

}  // namespace tcg
