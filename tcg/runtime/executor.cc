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
}

absl::StatusOr<const TranslationBlock*> Executor::FindOrTranslate(uint64_t pc, uint64_t phys,
                                                                  uint32_t flags) {
  const uint64_t gen = cache_->Generation();
  if (gen != generation_) {
    for (JumpEntry& e : jump_cache_) e = JumpEntry{};
    generation_ = gen;
  }
  JumpEntry& slot = jump_cache_[(pc >> 1) % kJumpCacheSize];
  const uint64_t key_phys = phys == pc ? TranslationBlock::kSamePc : phys;
  if (slot.pc == pc && slot.phys == phys && slot.flags == flags && slot.tb &&
      SecondPageCurrent(*slot.tb)) {
    return slot.tb.get();
  }

  TbPtr tb = cache_->Lookup(pc, flags, key_phys);
  // A cached block whose second page now maps elsewhere: run a fresh
  // translation uncached (the cache keeps the other mapping's block).
  const bool stale = tb && !SecondPageCurrent(*tb);
  if (stale) tb.reset();
  if (!tb) {
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
    fresh->block = *std::move(block);
    absl::Status compiled = backend_->Compile(*fresh);
    if (!compiled.ok()) return compiled;
    if (fetcher.faulted() || stale) {
      uncached_ = TbPtr(std::move(fresh));
      return uncached_.get();
    }
    tb = cache_->Insert(std::move(fresh), token);
  }
  // Only remember blocks still current; a discarded racy copy would
  // otherwise linger here until the next generation change.
  if (cache_->Generation() == generation_) {
    slot = JumpEntry{pc, phys, flags, tb};
    uncached_.reset();
  } else {
    uncached_ = tb;
  }
  return tb.get();
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
  ExitInfo exit;
  for (uint64_t n = 0; n < max_blocks; ++n) {
    // A stop requested before or during Run is consumed here, once.
    if (stop_.exchange(false, std::memory_order_acq_rel)) break;
    ctx_->mmu->SyncCodeEpoch();
    uint64_t pc;
    std::memcpy(&pc, ctx_->state + ctx_->pc_offset, sizeof(pc));
    uint64_t phys = pc;
    if (!ctx_->mmu->TranslateFetch(pc, &phys, &exit.fault)) {
      exit.reason = ir::ExitReason::kMemFault;
      exit.pc = pc;
      exit.code = 0;
      exit.aux = exit.fault.addr;
      return exit;
    }
    absl::StatusOr<const TranslationBlock*> tb = FindOrTranslate(pc, phys, flags);
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
