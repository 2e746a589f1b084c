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
}

absl::StatusOr<const TranslationBlock*> Executor::FindOrTranslate(uint64_t pc,
                                                                  uint32_t flags) {
  const uint64_t gen = cache_->Generation();
  if (gen != generation_) {
    for (JumpEntry& e : jump_cache_) e = JumpEntry{};
    generation_ = gen;
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
  ExitInfo exit;
  for (uint64_t n = 0; n < max_blocks; ++n) {
    // A stop requested before or during Run is consumed here, once.
    if (stop_.exchange(false, std::memory_order_acq_rel)) break;
    ctx_->mmu->SyncCodeEpoch();
    uint64_t pc;
    std::memcpy(&pc, ctx_->state + ctx_->pc_offset, sizeof(pc));
    absl::StatusOr<const TranslationBlock*> tb = FindOrTranslate(pc, flags);
    if (!tb.ok()) return tb.status();
    exit = backend_->Execute(**tb, *ctx_);
    ++blocks_executed_;
    if (exit.reason != ir::ExitReason::kNone) return exit;
  }
  std::memcpy(&exit.pc, ctx_->state + ctx_->pc_offset, sizeof(exit.pc));
  exit.reason = ir::ExitReason::kNone;
  return exit;
}

}  // namespace tcg
