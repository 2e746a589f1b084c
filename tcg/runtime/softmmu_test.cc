#include "tcg/runtime/softmmu.h"

#include <cstdint>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tcg/testing/flat_memory.h"

namespace tcg {
namespace {

constexpr uint64_t kRam = 0x80000000;

ir::MemOp Op(uint8_t log2, bool sign = false, bool aligned = false) {
  return ir::MemOp{log2, sign, aligned};
}

// Records code writes, standing in for the TB cache.
class FakeCodePages : public CodeWriteObserver {
 public:
  bool IsCodePage(uint64_t page) override { return page == code_page; }
  // Code occupies the first 16 bytes of `code_page`; a write there drops it.
  bool OnCodeWrite(uint64_t addr, unsigned) override {
    if ((addr & ~kGuestPageMask) != code_page) return false;
    writes.push_back(addr);
    if ((addr & kGuestPageMask) < 16) {
      code_page = ~uint64_t{0};
      return false;
    }
    return true;
  }
  uint64_t CodeEpoch() override { return epoch; }
  uint64_t code_page = ~uint64_t{0};
  uint64_t epoch = 0;
  std::vector<uint64_t> writes;
};

TEST(SoftMmuTest, LoadsExtendAndStoresTruncate) {
  testing::FlatMemory mem(kRam, 1 << 16);
  SoftMmu mmu(&mem, nullptr);
  MemFault f;
  ASSERT_TRUE(mmu.Store(kRam + 8, Op(3), 0x80818283848586f7, &f));
  uint64_t v;
  ASSERT_TRUE(mmu.Load(kRam + 8, Op(0, true), &v, &f));
  EXPECT_EQ(v, 0xfffffffffffffff7u);
  ASSERT_TRUE(mmu.Load(kRam + 8, Op(0), &v, &f));
  EXPECT_EQ(v, 0xf7u);
  ASSERT_TRUE(mmu.Load(kRam + 12, Op(2, true), &v, &f));
  EXPECT_EQ(v, 0xffffffff80818283u);
  ASSERT_TRUE(mmu.Load(kRam + 12, Op(2), &v, &f));
  EXPECT_EQ(v, 0x80818283u);
  ASSERT_TRUE(mmu.Store(kRam + 8, Op(1), 0xabcd1234, &f));
  ASSERT_TRUE(mmu.Load(kRam + 8, Op(3), &v, &f));
  EXPECT_EQ(v, 0x8081828384851234u);
}

TEST(SoftMmuTest, MisalignedAndPageCrossingAccessesWork) {
  testing::FlatMemory mem(kRam, 1 << 16);
  SoftMmu mmu(&mem, nullptr);
  MemFault f;
  const uint64_t addr = kRam + kGuestPageSize - 3;  // crosses into page 2
  ASSERT_TRUE(mmu.Store(addr, Op(3), 0x1122334455667788, &f));
  uint64_t v;
  ASSERT_TRUE(mmu.Load(addr, Op(3), &v, &f));
  EXPECT_EQ(v, 0x1122334455667788u);
  ASSERT_TRUE(mmu.Load(addr + 1, Op(1), &v, &f));
  EXPECT_EQ(v, 0x6677u);
  // ...unless the op demands alignment.
  EXPECT_FALSE(mmu.Load(addr, Op(3, false, true), &v, &f));
  EXPECT_TRUE(f.misaligned);
  EXPECT_EQ(f.addr, addr);
}

TEST(SoftMmuTest, UnmappedAddressesFaultWithoutTouchingMemory) {
  testing::FlatMemory mem(kRam, 1 << 16);
  SoftMmu mmu(&mem, nullptr);
  MemFault f;
  uint64_t v;
  for (uint64_t addr : {uint64_t{0}, kRam - 8, kRam + (1 << 16), ~uint64_t{0} - 3,
                        ~uint64_t{0}}) {
    EXPECT_FALSE(mmu.Load(addr, Op(3), &v, &f)) << std::hex << addr;
    EXPECT_FALSE(f.misaligned);
    EXPECT_FALSE(mmu.Store(addr, Op(2), 1, &f)) << std::hex << addr;
    EXPECT_EQ(f.access, MemAccess::kStore);
  }
  // A store straddling the end of RAM writes nothing.
  const uint64_t last = kRam + (1 << 16) - 2;
  ASSERT_TRUE(mmu.Store(last, Op(1), 0xbeef, &f));
  EXPECT_FALSE(mmu.Store(last, Op(2), 0x12345678, &f));
  ASSERT_TRUE(mmu.Load(last, Op(1), &v, &f));
  EXPECT_EQ(v, 0xbeefu);
}

TEST(SoftMmuTest, MmioGoesToCallbacks) {
  testing::FlatMemory mem(kRam, 1 << 16);
  std::vector<std::pair<uint64_t, uint64_t>> writes;
  mem.AddMmio(0x1000, 0x100,
              [](uint64_t off, unsigned size) -> absl::StatusOr<uint64_t> {
                return off * 0x100 + size;
              },
              [&](uint64_t off, unsigned, uint64_t value) {
                writes.push_back({off, value});
                return absl::OkStatus();
              });
  SoftMmu mmu(&mem, nullptr);
  MemFault f;
  uint64_t v;
  ASSERT_TRUE(mmu.Load(0x1010, Op(2), &v, &f));
  EXPECT_EQ(v, 0x1004u);
  ASSERT_TRUE(mmu.Store(0x1008, Op(0), 0x1ff, &f));
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0], std::make_pair(uint64_t{8}, uint64_t{0xff}));
  // No atomics on devices.
  EXPECT_FALSE(mmu.Atomic(AtomicOp::kAdd, 0x1008, Op(2), 1, 0, &v, &f));
}

TEST(SoftMmuTest, AtomicsReturnOldValueAndRequireAlignment) {
  testing::FlatMemory mem(kRam, 1 << 16);
  SoftMmu mmu(&mem, nullptr);
  MemFault f;
  uint64_t old, v;
  ASSERT_TRUE(mmu.Store(kRam, Op(2), 0xfffffff0, &f));
  ASSERT_TRUE(mmu.Atomic(AtomicOp::kAdd, kRam, Op(2, true), 0x20, 0, &old, &f));
  EXPECT_EQ(old, 0xfffffffffffffff0u);
  ASSERT_TRUE(mmu.Load(kRam, Op(2), &v, &f));
  EXPECT_EQ(v, 0x10u);
  ASSERT_TRUE(mmu.Atomic(AtomicOp::kMinS, kRam, Op(2, true), 0xffffffff, 0, &old, &f));
  ASSERT_TRUE(mmu.Load(kRam, Op(2), &v, &f));
  EXPECT_EQ(v, 0xffffffffu);  // -1 < 16 signed
  ASSERT_TRUE(mmu.Atomic(AtomicOp::kMinU, kRam, Op(2), 3, 0, &old, &f));
  ASSERT_TRUE(mmu.Load(kRam, Op(2), &v, &f));
  EXPECT_EQ(v, 3u);
  // Failing and succeeding compare-and-swap.
  ASSERT_TRUE(mmu.Atomic(AtomicOp::kCmpXchg, kRam, Op(3), 99, 4, &old, &f));
  EXPECT_EQ(old, 3u);
  ASSERT_TRUE(mmu.Atomic(AtomicOp::kCmpXchg, kRam, Op(3), 99, 3, &old, &f));
  ASSERT_TRUE(mmu.Load(kRam, Op(3), &v, &f));
  EXPECT_EQ(v, 99u);
  EXPECT_FALSE(mmu.Atomic(AtomicOp::kXchg, kRam + 4, Op(3), 1, 0, &old, &f));
  EXPECT_TRUE(f.misaligned);
}

TEST(SoftMmuTest, ConcurrentAtomicAddsAreNotLost) {
  testing::FlatMemory mem(kRam, 1 << 16);
  constexpr int kThreads = 4, kIters = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      SoftMmu mmu(&mem, nullptr);  // one TLB per vCPU thread
      MemFault f;
      uint64_t old;
      for (int i = 0; i < kIters; ++i) {
        ASSERT_TRUE(mmu.Atomic(AtomicOp::kAdd, kRam + 64, Op(3), 1, 0, &old, &f));
        ASSERT_TRUE(mmu.Atomic(AtomicOp::kMaxU, kRam + 72, Op(2), i, 0, &old, &f));
      }
    });
  }
  for (auto& t : threads) t.join();
  uint64_t v = 0;
  ASSERT_TRUE(mem.Read(kRam + 64, &v, 8).ok());
  EXPECT_EQ(v, uint64_t{kThreads} * kIters);
  ASSERT_TRUE(mem.Read(kRam + 72, &v, 4).ok());
  EXPECT_EQ(v & 0xffffffff, uint64_t{kIters - 1});
}

TEST(SoftMmuTest, StoresToCodePagesAreReportedUntilTheCodeIsGone) {
  testing::FlatMemory mem(kRam, 1 << 16);
  FakeCodePages code;
  SoftMmu mmu(&mem, &code);
  MemFault f;
  // The page gets a write entry while it is still data...
  ASSERT_TRUE(mmu.Store(kRam + 0x10, Op(2), 1, &f));
  // ...then becomes code; the epoch bump must drop the stale write entry.
  code.code_page = kRam;
  code.epoch++;
  mmu.SyncCodeEpoch();
  // Stores next to the code are reported every time (no write entry)...
  ASSERT_TRUE(mmu.Store(kRam + 0x20, Op(2), 2, &f));
  ASSERT_TRUE(mmu.Store(kRam + 0x24, Op(2), 3, &f));
  ASSERT_EQ(code.writes.size(), 2u);
  // ...until one hits the code, which is then gone; later stores run fast.
  ASSERT_TRUE(mmu.Store(kRam + 0x4, Op(2), 4, &f));
  ASSERT_EQ(code.writes.size(), 3u);
  ASSERT_TRUE(mmu.Store(kRam + 0x28, Op(2), 5, &f));
  EXPECT_EQ(code.writes.size(), 3u);
  uint64_t v;
  ASSERT_TRUE(mmu.Load(kRam + 0x24, Op(2), &v, &f));
  EXPECT_EQ(v, 3u);
  // Atomics on code pages are reported too.
  code.code_page = kRam + kGuestPageSize;
  code.epoch++;
  mmu.SyncCodeEpoch();
  uint64_t old;
  ASSERT_TRUE(mmu.Atomic(AtomicOp::kAdd, kRam + kGuestPageSize, Op(3), 1, 0, &old, &f));
  EXPECT_EQ(code.writes.size(), 4u);
}

}  // namespace
}  // namespace tcg

namespace tcg {
namespace {

// Maps virtual page v to physical page v + kRam and counts its calls.
class CountingTranslator : public AddressTranslator {
 public:
  bool Translate(uint64_t vaddr, MemAccess, Result* out, MemFault*) override {
    ++calls;
    out->paddr = kRam + (vaddr & ~kGuestPageMask);
    out->cache_read = out->cache_write = true;
    return true;
  }
  int calls = 0;
};

TEST(SoftMmuTest, BanksKeepTheirEntriesAcrossSwitchesUntilAFlush) {
  testing::FlatMemory mem(kRam, 1 << 16);
  SoftMmu mmu(&mem, nullptr);
  CountingTranslator tr;
  mmu.SetTranslator(&tr);
  MemFault f;
  uint64_t v;
  mmu.SelectBank(1);
  ASSERT_TRUE(mmu.Store(0x1008, Op(3), 42, &f));
  ASSERT_TRUE(mmu.Load(0x1008, Op(3), &v, &f));
  EXPECT_EQ(tr.calls, 1);  // the store filled bank 1
  uint8_t* const bank1 = mmu.tlb_base();
  mmu.SelectBank(3);
  EXPECT_NE(mmu.tlb_base(), bank1);
  ASSERT_TRUE(mmu.Load(0x1008, Op(3), &v, &f));
  EXPECT_EQ(v, 42u);
  EXPECT_EQ(tr.calls, 2);  // bank 3 translates on its own
  mmu.SelectBank(1);
  EXPECT_EQ(mmu.tlb_base(), bank1);
  ASSERT_TRUE(mmu.Load(0x1008, Op(3), &v, &f));
  EXPECT_EQ(tr.calls, 2);  // bank 1 kept its entry
  mmu.Flush();  // empties bank 1 now and bank 3 when it is selected
  ASSERT_TRUE(mmu.Load(0x1008, Op(3), &v, &f));
  EXPECT_EQ(tr.calls, 3);
  mmu.SelectBank(3);
  ASSERT_TRUE(mmu.Load(0x1008, Op(3), &v, &f));
  EXPECT_EQ(tr.calls, 4);
  uint64_t paddr;
  ASSERT_TRUE(mmu.TranslateFetch(0x1000, &paddr, &f));
  EXPECT_EQ(paddr, kRam + 0x1000);
  EXPECT_EQ(tr.calls, 5);
  mmu.SelectBank(1);
  ASSERT_TRUE(mmu.TranslateFetch(0x1000, &paddr, &f));
  EXPECT_EQ(tr.calls, 6);  // fetch entries are banked too
}

}  // namespace
}  // namespace tcg
