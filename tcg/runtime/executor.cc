#include "tcg/runtime/executor.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "tcg/runtime/softmmu.h"

namespace tcg {

CodeFetcher::CodeFetcher(GuestMemoryInterface* mem, TbCache* cache, uint64_t start_pc,
                         SoftMmu* mmu)
    : mem_(mem), cache_(cache), mmu_(mmu), first_page_(start_pc & ~kGuestPageMask),
      last_page_(first_page_) {}

bool CodeFetcher::Read16(uint64_t addr, uint16_t* out) {
  uint64_t paddr = addr;
  if (mmu_ != nullptr) {
    MemFault fault;
    if (!mmu_->TranslateFetch(addr, &paddr, &fault)) {
      page_fault_ = fault.page_fault;
      faulted_ = true;
      return false;
    }
  }
  const uint64_t page = paddr & ~kGuestPageMask;
  if (page != marked_[0] && page != marked_[1]) {
    // Mark before reading (see TbCache::MarkCodePage).
    cache_->MarkCodePage(page);
    marked_[marked_[0] == ~uint64_t{0} ? 0 : 1] = page;
  }
  uint8_t* host = mem_->RamPage(page);
  if (host == nullptr || (addr & 1) != 0) {
    faulted_ = true;
    return false;
  }
  *out = __atomic_load_n(reinterpret_cast<const uint16_t*>(host + (paddr & kGuestPageMask)),
                         __ATOMIC_RELAXED);
  parcels_.push_back({paddr, *out});
  if (!started_) {
    // The first read is at the block's start.
    started_ = true;
    first_page_ = last_page_ = page;
  } else if (page != first_page_) {
    last_page_ = page;  // translators read at most one page past the first
  }
  return true;
}

Executor::Executor(TbCache* cache, Backend* backend, TranslateFn translate,
                   ExecContext* ctx)
    : cache_(cache), backend_(backend), translate_(std::move(translate)), ctx_(ctx) {
  generation_ = cache_->Generation();
  ctx_->stop_flag = &stop_;
  ctx_->link_generation = cache_->link_generation();
  ctx_->indirect_cache = indirect_cache_.data();
  cache_->RegisterQuiescent(&quiescent_);
}

Executor::~Executor() { cache_->UnregisterQuiescent(&quiescent_); }

absl::StatusOr<const TranslationBlock*> Executor::FindOrTranslate(uint64_t pc, uint64_t phys,
                                                                  uint32_t flags) {
  const uint64_t gen = cache_->Generation();
  if (gen != generation_) {
    generation_ = gen;
    if (cache_->retired() != 0) cache_->Reclaim();
  }
  JumpEntry& slot = jump_cache_[(pc >> 1) % kJumpCacheSize];
  const uint64_t key_phys = phys == pc ? TranslationBlock::kSamePc : phys;
  if (slot.generation == gen && slot.pc == pc && slot.phys == phys && slot.flags == flags &&
      SecondPageCurrent(*slot.tb)) {
    return slot.tb;
  }

  // Safe without a reference: the block was in the cache after this vCPU
  // published its quiescent generation, so a removal from now on retires it
  // with a later tag and Reclaim keeps it until this vCPU moves past.
  const TranslationBlock* tb = cache_->Lookup(pc, flags, key_phys);
  // Every way into a block after a FENCE.I passes here (the fence resets
  // jump caches and chains): drop it if its bytes changed.
  if (tb != nullptr && !cache_->Verify(*tb, ctx_->mmu->memory())) tb = nullptr;
  // A cached block whose second page now maps elsewhere: run a fresh
  // translation uncached (the cache keeps the other mapping's block).
  const bool stale = tb != nullptr && !SecondPageCurrent(*tb);
  if (stale) tb = nullptr;
  if (tb == nullptr) {
    const uint64_t token = cache_->BeginTranslation();
    CodeFetcher fetcher(ctx_->mmu->memory(), cache_, phys, ctx_->mmu);
    absl::StatusOr<ir::Block> block = translate_(pc, flags, fetcher);
    if (!block.ok()) return block.status();
    auto fresh = std::make_unique<TranslationBlock>();
    fresh->pc = pc;
    fresh->flags = flags;
    fresh->phys_pc = key_phys;
    fresh->first_page = fetcher.first_page();
    fresh->last_page = fetcher.last_page();
    fresh->source = fetcher.TakeParcels();
    fresh->block = *std::move(block);
    absl::Status compiled = backend_->Compile(*fresh);
    if (!compiled.ok()) return compiled;
    if (fetcher.faulted() || stale) {
      uncached_ = TbPtr(std::move(fresh));
      return uncached_.get();
    }
    bool cached = false;
    TbPtr inserted = cache_->Insert(std::move(fresh), token, &cached);
    if (!cached) {
      // Translated while a store hit the code: run this copy once.
      uncached_ = std::move(inserted);
      return uncached_.get();
    }
    tb = inserted.get();  // the cache (or its retired list) keeps it alive
  }
  uncached_.reset();
  // Only remember blocks current in `gen`: one removed since would
  // otherwise look valid here.
  if (cache_->Generation() == gen) slot = JumpEntry{pc, phys, gen, flags, tb};
  return tb;
}

// A block whose code straddles into a second page was read through that
// page's translation at the time; with another mapping now, it is stale.
bool Executor::SecondPageMapsTo(const TranslationBlock& tb) {
  const uint64_t next = (tb.pc & ~kGuestPageMask) + kGuestPageSize;
  uint64_t phys = 0;
  MemFault fault;
  return ctx_->mmu->TranslateFetch(next, &phys, &fault) &&
         (phys & ~kGuestPageMask) == tb.last_page;
}

absl::StatusOr<ExitInfo> Executor::Run(uint32_t flags, uint64_t max_blocks) {
  // Publishing "in the dispatcher" must be ordered before any load of the
  // link generation in generated code (a full fence: seq_cst store).
  quiescent_.store(cache_->LinkGeneration(), std::memory_order_seq_cst);
  struct Idle {
    std::atomic<uint64_t>* q;
    ~Idle() { q->store(TbCache::kIdle, std::memory_order_release); }
  } idle{&quiescent_};
  ExitInfo exit;
  void* unlinked = nullptr;  // chain slot the previous block left through
  for (uint64_t n = 0; n < max_blocks;) {
    // A stop requested before or during Run is consumed here, once.
    if (stop_.exchange(false, std::memory_order_acq_rel)) break;
    ctx_->mmu->SyncCodeEpoch();
    uint64_t pc;
    std::memcpy(&pc, ctx_->state + ctx_->pc_offset, sizeof(pc));
    // The indirect-jump cache maps this hart's virtual pcs: drop it when
    // its translations were flushed (satp, SFENCE.VMA, privilege change).
    const uint64_t flushes = ctx_->mmu->flush_count();
    if (flushes != seen_flushes_) {
      indirect_cache_.fill(IndirectEntry{});
      seen_flushes_ = flushes;
    }
    uint64_t phys = pc;
    if (!ctx_->mmu->TranslateFetch(pc, &phys, &exit.fault)) {
      exit.reason = ir::ExitReason::kMemFault;
      exit.pc = pc;
      exit.code = 0;
      exit.aux = exit.fault.addr;
      return exit;
    }
    const uint64_t link_gen = cache_->LinkGeneration();
    absl::StatusOr<const TranslationBlock*> tb = FindOrTranslate(pc, phys, flags);
    if (!tb.ok()) return tb.status();
    // Link the edge only to a cached block that is current in link_gen.
    // The slot's block is still reachable at our published generation, so
    // it cannot have been freed; publish the new one only after linking.
    // A block reaching into a second page is never a chain target: only
    // the dispatcher checks that page's mapping (SecondPageCurrent). Direct
    // edges chain within one virtual page only (the backend's rule), so a
    // shared block's links hold under every hart's address space.
    if (*tb != uncached_.get() && cache_->LinkGeneration() == link_gen &&
        (*tb)->first_page == (*tb)->last_page) {
      if (unlinked != nullptr) backend_->Link(unlinked, **tb, link_gen);
      IndirectEntry& ind = indirect_cache_[(pc >> 1) % kIndirectEntries];
      if (ind.pc != pc || ind.flags != flags || ind.generation != link_gen) {
        if (const void* entry = backend_->ChainEntry(**tb)) ind = {pc, flags, link_gen, entry};
      }
    }
    quiescent_.store(link_gen, std::memory_order_release);
    const int64_t budget = static_cast<int64_t>(max_blocks - n - 1);
    ctx_->chain_budget = budget;
    ctx_->chain_slot = nullptr;
    exit = backend_->Execute(**tb, *ctx_);
    const uint64_t ran = 1 + static_cast<uint64_t>(budget - ctx_->chain_budget);
    n += ran;
    blocks_executed_ += ran;
    ++dispatches_;
    if (exit.reason != ir::ExitReason::kNone) return exit;
    unlinked = ctx_->chain_slot;
    // A block that could not be cached dies at the next lookup (uncached_
    // is replaced): never link through its slots, they would be freed.
    if (ran == 1 && *tb == uncached_.get()) unlinked = nullptr;
  }
  std::memcpy(&exit.pc, ctx_->state + ctx_->pc_offset, sizeof(exit.pc));
  exit.reason = ir::ExitReason::kNone;
  return exit;
}

}  // namespace tcg
