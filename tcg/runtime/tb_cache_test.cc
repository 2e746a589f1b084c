#include "tcg/runtime/tb_cache.h"

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tcg/testing/flat_memory.h"

namespace tcg {
namespace {

std::unique_ptr<TranslationBlock> MakeTb(uint64_t pc, uint32_t flags = 0,
                                         uint64_t last_page = 0) {
  auto tb = std::make_unique<TranslationBlock>();
  tb->pc = pc;
  tb->flags = flags;
  tb->first_page = pc & ~kGuestPageMask;
  tb->last_page = last_page ? last_page : tb->first_page;
  tb->block.guest_bytes = 4;
  return tb;
}

TEST(TbCacheTest, KeyedByPcAndFlags) {
  TbCache cache;
  EXPECT_EQ(cache.Lookup(0x1000, 0), nullptr);
  TbPtr a = cache.Insert(MakeTb(0x1000, 0), cache.BeginTranslation());
  TbPtr b = cache.Insert(MakeTb(0x1000, 1), cache.BeginTranslation());
  EXPECT_EQ(cache.Lookup(0x1000, 0), a.get());
  EXPECT_EQ(cache.Lookup(0x1000, 1), b.get());
  EXPECT_NE(a, b);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(TbCacheTest, FirstInsertWins) {
  TbCache cache;
  const uint64_t token = cache.BeginTranslation();
  TbPtr a = cache.Insert(MakeTb(0x1000), token);
  TbPtr b = cache.Insert(MakeTb(0x1000), token);
  EXPECT_EQ(a, b);
}

TEST(TbCacheTest, WritesToCodeBytesInvalidateBlocksOnBothPages) {
  TbCache cache;
  const uint64_t epoch0 = cache.CodeEpoch();
  cache.MarkCodePage(0x1000);
  cache.MarkCodePage(0x2000);
  EXPECT_GT(cache.CodeEpoch(), epoch0);
  cache.Insert(MakeTb(0x1ffe, 0, 0x2000), cache.BeginTranslation());  // straddles
  cache.Insert(MakeTb(0x1000), cache.BeginTranslation());
  ASSERT_TRUE(cache.IsCodePage(0x2000));
  const uint64_t gen = cache.Generation();
  // A write next to the code (other granule) keeps everything...
  EXPECT_TRUE(cache.OnCodeWrite(0x2100, 8));
  EXPECT_EQ(cache.Generation(), gen);
  EXPECT_NE(cache.Lookup(0x1ffe, 0), nullptr);
  // ...a write to its bytes drops the blocks built from that page.
  EXPECT_FALSE(cache.OnCodeWrite(0x2000, 1));
  EXPECT_NE(cache.Generation(), gen);
  EXPECT_EQ(cache.Lookup(0x1ffe, 0), nullptr);
  EXPECT_NE(cache.Lookup(0x1000, 0), nullptr);
  EXPECT_FALSE(cache.IsCodePage(0x2000));
  EXPECT_FALSE(cache.OnCodeWrite(0x2000, 1));  // plain data now
}

TEST(TbCacheTest, StoreNextToCodeDiscardsATranslationInFlight) {
  TbCache cache;
  cache.MarkCodePage(0x1000);
  cache.Insert(MakeTb(0x1000), cache.BeginTranslation());
  const uint64_t token = cache.BeginTranslation();
  cache.MarkCodePage(0x1000);
  EXPECT_TRUE(cache.OnCodeWrite(0x1040, 4));  // bytes the new block may have read
  const uint64_t generation = cache.Generation();
  bool cached = true;
  TbPtr tb = cache.Insert(MakeTb(0x1040), token, &cached);
  EXPECT_NE(tb, nullptr);
  // Told apart from a cached block although the generation did not move:
  // the executor must own this copy and never link to it.
  EXPECT_FALSE(cached);
  EXPECT_EQ(cache.Generation(), generation);
  EXPECT_EQ(cache.Lookup(0x1040, 0), nullptr);
  TbPtr again = cache.Insert(MakeTb(0x1080), cache.BeginTranslation(), &cached);
  EXPECT_TRUE(cached);
  EXPECT_EQ(cache.Lookup(0x1080, 0), again.get());
}

TEST(TbCacheTest, TranslationRacingAnInvalidationIsNotCached) {
  TbCache cache;
  const uint64_t token = cache.BeginTranslation();
  cache.MarkCodePage(0x1000);
  cache.Insert(MakeTb(0x1000, 1), cache.BeginTranslation());
  cache.OnCodeWrite(0x1000, 4);  // guest store lands mid-translation
  TbPtr tb = cache.Insert(MakeTb(0x1000), token);
  EXPECT_NE(tb, nullptr);  // still runnable once
  EXPECT_EQ(cache.Lookup(0x1000, 0), nullptr);
  EXPECT_EQ(cache.stats().discarded_races, 1u);
}

TEST(TbCacheTest, FlushesWhenFullAndKeepsRunningBlocksAlive) {
  TbCache cache(4);
  TbPtr held = cache.Insert(MakeTb(0x1000), cache.BeginTranslation());
  for (uint64_t pc = 0x1004; pc < 0x1010; pc += 4) {
    cache.Insert(MakeTb(pc), cache.BeginTranslation());
  }
  EXPECT_EQ(cache.size(), 4u);
  cache.Insert(MakeTb(0x2000), cache.BeginTranslation());
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.stats().flushes, 1u);
  EXPECT_EQ(held->pc, 0x1000u);  // a thread running it is unaffected
  EXPECT_TRUE(cache.IsCodePage(0x2000));
}

// Chained code can reach a removed block until its vCPU passes its
// dispatcher: removed blocks are retired, freed only once every registered
// vCPU has published a link generation at or past their removal.
TEST(TbCacheTest, RetiredBlocksLiveUntilEveryVcpuIsQuiescent) {
  TbCache cache;
  std::atomic<uint64_t> vcpu_a{cache.LinkGeneration()}, vcpu_b{TbCache::kIdle};
  cache.RegisterQuiescent(&vcpu_a);
  cache.RegisterQuiescent(&vcpu_b);
  std::weak_ptr<const TranslationBlock> weak = cache.Insert(MakeTb(0x1000), cache.BeginTranslation());
  const uint64_t before = cache.LinkGeneration();
  cache.Flush();
  EXPECT_GT(cache.LinkGeneration(), before);
  EXPECT_EQ(cache.retired(), 1u);
  EXPECT_FALSE(weak.expired());  // vcpu_a may still be in a chain through it
  cache.Reclaim();
  EXPECT_FALSE(weak.expired());
  vcpu_a.store(cache.LinkGeneration());  // vcpu_a went through its dispatcher
  cache.Reclaim();
  EXPECT_EQ(cache.retired(), 0u);
  EXPECT_TRUE(weak.expired());
  cache.UnregisterQuiescent(&vcpu_a);
  cache.UnregisterQuiescent(&vcpu_b);
}

TEST(TbCacheTest, NewCodePageMovesTheLinkGeneration) {
  TbCache cache;
  const uint64_t g = cache.LinkGeneration();
  cache.MarkCodePage(0x1000);
  EXPECT_EQ(cache.LinkGeneration(), g + 1);
  cache.MarkCodePage(0x1000);  // already known: chains stay valid
  EXPECT_EQ(cache.LinkGeneration(), g + 1);
}

// Reads `len` bytes at `pc` from `mem` the way CodeFetcher records them.
std::unique_ptr<TranslationBlock> MakeTbFrom(tcg::testing::FlatMemory& mem, uint64_t pc, unsigned len) {
  std::unique_ptr<TranslationBlock> tb = MakeTb(pc);
  tb->block.guest_bytes = len;
  for (uint64_t a = pc; a < pc + len; a += 2) {
    uint16_t v;
    std::memcpy(&v, mem.RamPage(a & ~kGuestPageMask) + (a & kGuestPageMask), 2);
    tb->source.push_back({a, v});
  }
  return tb;
}

TEST(TbCacheTest, FenceDropsOnlyBlocksWhoseBytesChanged) {
  tcg::testing::FlatMemory mem(0x1000, 0x2000);
  const uint8_t code[16] = {0x13, 0, 0, 0, 0x93, 0, 0x10, 0, 0x13, 1, 0x20, 0, 0x67, 0x80, 0, 0};
  ASSERT_TRUE(mem.Write(0x1000, code, sizeof(code)).ok());
  ASSERT_TRUE(mem.Write(0x1040, code, sizeof(code)).ok());
  TbCache cache;
  cache.MarkCodePage(0x1000);
  TbPtr kept = cache.Insert(MakeTbFrom(mem, 0x1000, 16), cache.BeginTranslation());
  TbPtr changed = cache.Insert(MakeTbFrom(mem, 0x1040, 16), cache.BeginTranslation());

  // First use verifies against memory (blocks start unchecked).
  EXPECT_TRUE(cache.Verify(*kept, &mem));
  EXPECT_TRUE(cache.Verify(*changed, &mem));

  // A fence unlinks every chain and per-vCPU cache entry (generation) and
  // makes a translation in flight across it uncached.
  uint64_t generation = cache.Generation();
  uint64_t token = cache.BeginTranslation();
  cache.FlushChanged();
  EXPECT_NE(cache.Generation(), generation);
  EXPECT_EQ(cache.size(), 2u);
  bool cached = true;
  cache.Insert(MakeTbFrom(mem, 0x1080, 4), token, &cached);
  EXPECT_FALSE(cached);
  EXPECT_TRUE(cache.Verify(*kept, &mem));  // unchanged blocks survive fences
  EXPECT_TRUE(cache.Verify(*changed, &mem));

  // Device DMA (not a hart store: no OnCodeWrite) rewrites one instruction
  // of the second block; after the fence only that block fails Verify and
  // leaves the cache.
  const uint8_t ebreak[4] = {0x73, 0, 0x10, 0};
  ASSERT_TRUE(mem.Write(0x104c, ebreak, sizeof(ebreak)).ok());
  EXPECT_TRUE(cache.Verify(*changed, &mem));  // no fence yet: not rechecked
  cache.FlushChanged();
  generation = cache.Generation();
  EXPECT_TRUE(cache.Verify(*kept, &mem));
  EXPECT_FALSE(cache.Verify(*changed, &mem));
  EXPECT_NE(cache.Generation(), generation);  // chains into it are unlinked
  EXPECT_EQ(cache.Lookup(0x1000, 0), kept.get());
  EXPECT_EQ(cache.Lookup(0x1040, 0), nullptr);
  EXPECT_EQ(cache.stats().code_fences, 2u);
  EXPECT_EQ(cache.stats().fence_dropped, 1u);
  EXPECT_EQ(cache.stats().flushes, 0u);
  // The dropped block's page bookkeeping stays consistent.
  cache.InvalidatePage(0x1000);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TbCacheTest, ConcurrentTranslateLookupInvalidate) {
  TbCache cache(256);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> found{0};
  std::vector<std::thread> vcpus;
  for (int t = 0; t < 3; ++t) {
    vcpus.emplace_back([&, t] {
      // Lookup hands out raw pointers: like an Executor, publish the link
      // generation before each lookup so Reclaim keeps what we read alive
      // (ASan would catch a block freed under us).
      std::atomic<uint64_t> seen{TbCache::kIdle};
      cache.RegisterQuiescent(&seen);
      for (int i = 0; i < 20000; ++i) {
        seen.store(cache.LinkGeneration(), std::memory_order_seq_cst);
        const uint64_t pc = 0x10000 + ((i * 7 + t) % 512) * 64;
        const TranslationBlock* tb = cache.Lookup(pc, 0);
        TbPtr inserted;
        if (tb == nullptr) {
          const uint64_t token = cache.BeginTranslation();
          cache.MarkCodePage(pc & ~kGuestPageMask);
          inserted = cache.Insert(MakeTb(pc), token);
          tb = inserted.get();
        }
        std::this_thread::yield();  // let the writer retire it meanwhile
        ASSERT_EQ(tb->pc, pc);
        found.fetch_add(1);
      }
      cache.UnregisterQuiescent(&seen);
    });
  }
  std::thread writer([&] {
    while (!done.load()) {
      for (uint64_t page = 0x10000; page < 0x18000; page += kGuestPageSize) {
        cache.OnCodeWrite(page, 8);
      }
      cache.Flush();
    }
  });
  for (auto& t : vcpus) t.join();
  done = true;
  writer.join();
  EXPECT_EQ(found.load(), 60000u);
  EXPECT_LE(cache.size(), 256u);
}

}  // namespace
}  // namespace tcg
