#include "tcg/runtime/executor.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "tcg/runtime/softmmu.h"

namespace tcg {

bool CodeFetcher::Read16(uint64_t addr, uint16_t* out) {
  const uint64_t page = addr & ~kGuestPageMask;
  if (page != marked_[0] && page != marked_[1]) {
    // Mark before reading (see TbCache::MarkCodePage).
    cache_->MarkCodePage(page);
    marked_[marked_[0] == ~uint64_t{0} ? 0 : 1] = page;
  }
  uint8_t* host = mem_->RamPage(page);
  if (host == nullptr || (addr & 1) != 0) return false;
  *out = __atomic_load_n(reinterpret_cast<const uint16_t*>(host + (addr & kGuestPageMask)),
                         __ATOMIC_RELAXED);
  if (page < first_page_) first_page_ = page;
  if (page > last_page_) last_page_ = page;
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

absl::StatusOr<const TranslationBlock*> Executor::FindOrTranslate(uint64_t pc,
                                                                  uint32_t flags) {
  const uint64_t gen = cache_->Generation();
  if (gen != generation_) {
    for (JumpEntry& e : jump_cache_) e = JumpEntry{};
    generation_ = gen;
    if (cache_->retired() != 0) cache_->Reclaim();
  }
  JumpEntry& slot = jump_cache_[(pc >> 1) % kJumpCacheSize];
  if (slot.pc == pc && slot.flags == flags && slot.tb) return slot.tb.get();

  TbPtr tb = cache_->Lookup(pc, flags);
  if (!tb) {
    const uint64_t token = cache_->BeginTranslation();
    CodeFetcher fetcher(ctx_->mmu->memory(), cache_, pc);
    absl::StatusOr<ir::Block> block = translate_(pc, flags, fetcher);
    if (!block.ok()) return block.status();
    auto fresh = std::make_unique<TranslationBlock>();
    fresh->pc = pc;
    fresh->flags = flags;
    fresh->first_page = fetcher.first_page();
    fresh->last_page = fetcher.last_page();
    fresh->block = *std::move(block);
    absl::Status compiled = backend_->Compile(*fresh);
    if (!compiled.ok()) return compiled;
    tb = cache_->Insert(std::move(fresh), token);
  }
  // Only remember blocks still current; a discarded racy copy would
  // otherwise linger here until the next generation change.
  if (cache_->Generation() == generation_) {
    slot = JumpEntry{pc, flags, tb};
    uncached_.reset();
  } else {
    uncached_ = tb;
  }
  return tb.get();
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
    const uint64_t link_gen = cache_->LinkGeneration();
    absl::StatusOr<const TranslationBlock*> tb = FindOrTranslate(pc, flags);
    if (!tb.ok()) return tb.status();
    // Link the edge only to a cached block that is current in link_gen.
    // The slot's block is still reachable at our published generation, so
    // it cannot have been freed; publish the new one only after linking.
    if (*tb != uncached_.get() && cache_->LinkGeneration() == link_gen) {
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
  }
  std::memcpy(&exit.pc, ctx_->state + ctx_->pc_offset, sizeof(exit.pc));
  exit.reason = ir::ExitReason::kNone;
  return exit;
}

}  // namespace tcg
