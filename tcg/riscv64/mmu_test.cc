// Sv39/Sv48 page walks (privileged spec 4.3-4.5) over page tables built in
// RAM: PageWalker directly, then S-mode code running under Sv39 on both
// backends (interpreter and x86-64), faults trapping to M-mode.

#include "tcg/riscv64/mmu.h"

#include <cstdint>
#include <memory>

#include "gtest/gtest.h"
#include "tcg/interp/interpreter.h"
#include "tcg/riscv64/vcpu.h"
#include "tcg/testing/flat_memory.h"
#include "tcg/x86_64/backend.h"

namespace tcg::riscv64 {
namespace {

constexpr uint64_t kRam = 0x80000000;
constexpr uint64_t kRamSize = 4 << 20;
constexpr uint64_t kRoot = kRam + 0x10000;  // top-level table
constexpr uint64_t kL1 = kRam + 0x11000;
constexpr uint64_t kL0 = kRam + 0x12000;
constexpr uint64_t kL3 = kRam + 0x13000;    // Sv48 top level

uint64_t Pte(uint64_t pa, uint64_t bits) { return ((pa >> 12) << 10) | bits | kPteV; }
uint64_t Table(uint64_t pa) { return Pte(pa, 0); }

class PageTables {
 public:
  PageTables() : mem_(kRam, kRamSize) {}
  tcg::testing::FlatMemory& mem() { return mem_; }
  void Set(uint64_t table, unsigned index, uint64_t pte) {
    EXPECT_TRUE(mem_.Write(table + 8 * index, &pte, 8).ok());
  }
  uint64_t Get(uint64_t table, unsigned index) {
    uint64_t v = 0;
    EXPECT_TRUE(mem_.Read(table + 8 * index, &v, 8).ok());
    return v;
  }

 private:
  tcg::testing::FlatMemory mem_;
};

class PageWalkerTest : public ::testing::Test {
 protected:
  PageWalkerTest() : walker_(&state_, &pt_.mem()) {
    state_.priv = kPrivS;
    state_.satp = (kSatpModeSv39 << 60) | (kRoot >> 12);
    pt_.Set(kRoot, 0, Table(kL1));
    pt_.Set(kL1, 1, Table(kL0));
  }
  // Translates and returns the physical address, or ~0 with fault_ set.
  uint64_t Walk(uint64_t va, MemAccess access) {
    AddressTranslator::Result r;
    fault_ = MemFault{};
    if (!walker_.Translate(va, access, &r, &fault_)) return ~uint64_t{0};
    result_ = r;
    return r.paddr;
  }
  void ExpectPageFault(uint64_t va, MemAccess access) {
    EXPECT_EQ(Walk(va, access), ~uint64_t{0}) << std::hex << va;
    EXPECT_TRUE(fault_.page_fault);
    EXPECT_EQ(fault_.addr, va);
    EXPECT_EQ(fault_.access, access);
  }

  CpuState state_;
  PageTables pt_;
  PageWalker walker_;
  MemFault fault_;
  AddressTranslator::Result result_;
};

TEST_F(PageWalkerTest, FourKiBPageAndAccessedDirtyUpdates) {
  pt_.Set(kL0, 5, Pte(kRam + 0x5000, kPteR | kPteW));
  EXPECT_EQ(Walk(0x205123, MemAccess::kLoad), kRam + 0x5123);
  EXPECT_EQ(pt_.Get(kL0, 5) & (kPteA | kPteD), kPteA) << "a load sets A only";
  EXPECT_TRUE(result_.cache_read);
  EXPECT_FALSE(result_.cache_write) << "D clear: the first store must walk";
  EXPECT_EQ(Walk(0x205ff8, MemAccess::kStore), kRam + 0x5ff8);
  EXPECT_EQ(pt_.Get(kL0, 5) & (kPteA | kPteD), kPteA | kPteD);
  EXPECT_TRUE(result_.cache_write);
  // Non-leaf PTEs are left alone.
  EXPECT_EQ(pt_.Get(kL1, 1), Table(kL0));
}

TEST_F(PageWalkerTest, SuperpagesAndTheirAlignment) {
  pt_.Set(kL1, 2, Pte(kRam + 0x200000, kPteR | kPteA));        // 2 MiB at 0x400000
  pt_.Set(kRoot, 2, Pte(0x80000000, kPteR | kPteX | kPteA));    // 1 GiB at 0x80000000
  EXPECT_EQ(Walk(0x4abcde, MemAccess::kLoad), kRam + 0x2abcde);
  EXPECT_EQ(Walk(0xbfffeff0, MemAccess::kFetch), 0xbfffeff0u);
  // A 2 MiB leaf whose PPN is not 2 MiB aligned, a 1 GiB one not 1 GiB
  // aligned: page faults (spec 4.3.2 step 6).
  pt_.Set(kL1, 3, Pte(kRam + 0x201000, kPteR | kPteA));
  ExpectPageFault(0x600000, MemAccess::kLoad);
  pt_.Set(kRoot, 3, Pte(0x80200000, kPteR | kPteA));
  ExpectPageFault(0xc0000000, MemAccess::kLoad);
}

TEST_F(PageWalkerTest, BadPtesArePageFaults) {
  pt_.Set(kL0, 1, Pte(kRam, kPteW));  // W without R: reserved
  ExpectPageFault(0x201000, MemAccess::kLoad);
  pt_.Set(kL0, 2, Pte(kRam, kPteR) | (uint64_t{1} << 61));  // PBMT without Svpbmt
  ExpectPageFault(0x202000, MemAccess::kLoad);
  pt_.Set(kL0, 3, Pte(kRam, kPteR) & ~kPteV);  // invalid
  ExpectPageFault(0x203000, MemAccess::kLoad);
  pt_.Set(kL0, 4, Table(kRam));  // non-leaf at the last level
  ExpectPageFault(0x204000, MemAccess::kLoad);
  // Not sign-extended from bit 38.
  pt_.Set(kL0, 0, Pte(kRam, kPteR | kPteA));
  EXPECT_EQ(Walk(0x200000, MemAccess::kLoad), kRam);
  ExpectPageFault(0x0000008000200000, MemAccess::kLoad);
  // A table outside RAM: access fault, not page fault.
  pt_.Set(kL1, 4, Table(0x1000));
  EXPECT_EQ(Walk(0x800000, MemAccess::kLoad), ~uint64_t{0});
  EXPECT_FALSE(fault_.page_fault);
  EXPECT_FALSE(fault_.misaligned);
}

TEST_F(PageWalkerTest, PermissionsByPrivilegeSumMxrMprv) {
  pt_.Set(kL0, 0, Pte(kRam, kPteR | kPteW | kPteU | kPteA | kPteD));  // user RW
  pt_.Set(kL0, 1, Pte(kRam, kPteX | kPteA));                          // execute-only
  pt_.Set(kL0, 2, Pte(kRam, kPteR | kPteA));                          // read-only
  // S touching a user page needs SUM, and may never execute it.
  ExpectPageFault(0x200000, MemAccess::kLoad);
  state_.mstatus |= kMstatusSum;
  EXPECT_EQ(Walk(0x200000, MemAccess::kStore), kRam);
  ExpectPageFault(0x200000, MemAccess::kFetch);
  // Execute-only is readable only with MXR.
  ExpectPageFault(0x201000, MemAccess::kLoad);
  EXPECT_EQ(Walk(0x201000, MemAccess::kFetch), kRam);
  state_.mstatus |= kMstatusMxr;
  EXPECT_EQ(Walk(0x201000, MemAccess::kLoad), kRam);
  ExpectPageFault(0x202000, MemAccess::kStore);
  // U may not touch supervisor pages.
  state_.priv = kPrivU;
  ExpectPageFault(0x202000, MemAccess::kLoad);
  EXPECT_EQ(Walk(0x200010, MemAccess::kLoad), kRam + 0x10);
  // M is untranslated, unless MPRV with MPP=U for loads and stores.
  state_.priv = kPrivM;
  EXPECT_EQ(Walk(0x202000, MemAccess::kLoad), 0x202000u);
  state_.mstatus |= kMstatusMprv;  // MPP = 0 (U)
  ExpectPageFault(0x202000, MemAccess::kLoad);
  EXPECT_EQ(Walk(0x202000, MemAccess::kFetch), 0x202000u) << "MPRV does not affect fetch";
}

TEST_F(PageWalkerTest, Sv48HasFourLevels) {
  state_.satp = (kSatpModeSv48 << 60) | (kL3 >> 12);
  pt_.Set(kL3, 1, Table(kRoot));  // VA bits 47:39 = 1
  pt_.Set(kL0, 7, Pte(kRam + 0x7000, kPteR | kPteA));
  EXPECT_EQ(Walk((uint64_t{1} << 39) | 0x207010, MemAccess::kLoad), kRam + 0x7010);
  // 512 GiB gigapages exist in Sv48 (level 3 leaf).
  pt_.Set(kL3, 2, Pte(0, kPteR | kPteA));
  EXPECT_EQ(Walk((uint64_t{2} << 39) | 0x1234, MemAccess::kLoad), 0x1234u);
  // Sign extension is now from bit 47.
  ExpectPageFault(uint64_t{1} << 48, MemAccess::kLoad);
  EXPECT_EQ(Walk(0xffff800000000000, MemAccess::kLoad), ~uint64_t{0});
}

// S-mode code under Sv39 on a real hart: fetch through a 1 GiB page, loads
// and stores through 4 KiB and 2 MiB pages, then a store page fault.
//   VA 0x40000000 (1 GiB, RWX) -> PA 0x80000000: code at VA 0x40001000
//   VA 0x200000 (4 KiB, RW)    -> PA kRam + 0x3000
//   VA 0x201000 (4 KiB, R)     -> PA kRam + 0x4000
//   VA 0x400000 (2 MiB, R)     -> PA kRam + 0x200000
constexpr uint32_t kSProgram[] = {
    0x00200537,  // lui a0, 0x200
    0x00053583,  // ld a1, 0(a0)
    0x00b53423,  // sd a1, 8(a0)
    0x004006b7,  // lui a3, 0x400
    0x0086b703,  // ld a4, 8(a3)
    0x00201637,  // lui a2, 0x201
    0x00063783,  // ld a5, 0(a2)
    0x00b63023,  // sd a1, 0(a2): store page fault
    0x10500073,  // wfi (not reached)
};
constexpr uint32_t kMHandler = 0x10500073;  // wfi

enum class BackendKind { kInterp, kX86 };

class PagedHartTest : public ::testing::TestWithParam<BackendKind> {
 protected:
  PagedHartTest() {
    if (GetParam() == BackendKind::kInterp) {
      backend_ = std::make_unique<Interpreter>();
    } else {
      backend_ = std::make_unique<x86_64::X86Backend>(kPcOffset);
    }
    hart_ = std::make_unique<Vcpu>(&cache_, backend_.get(), &pt_.mem(), 0);
    pt_.Set(kRoot, 1, Pte(0x80000000, kPteR | kPteW | kPteX));
    pt_.Set(kRoot, 0, Table(kL1));
    pt_.Set(kL1, 1, Table(kL0));
    pt_.Set(kL1, 2, Pte(kRam + 0x200000, kPteR));
    pt_.Set(kL0, 0, Pte(kRam + 0x3000, kPteR | kPteW));
    pt_.Set(kL0, 1, Pte(kRam + 0x4000, kPteR));
    Put(kRam + 0x1000, kSProgram, sizeof(kSProgram));
    Put(kRam + 0x100, &kMHandler, 4);
    const uint64_t a = 0x1122334455667788, b = 0xa5a5a5a5, c = 0x77;
    Put(kRam + 0x3000, &a, 8);
    Put(kRam + 0x200008, &b, 8);
    Put(kRam + 0x4000, &c, 8);
    CpuState& s = hart_->state();
    s.priv = kPrivS;
    s.satp = (kSatpModeSv39 << 60) | (kRoot >> 12);
    s.mtvec = kRam + 0x100;
    s.pc = 0x40001000;
  }
  void Put(uint64_t pa, const void* data, uint64_t len) {
    ASSERT_TRUE(pt_.mem().Write(pa, data, len).ok());
  }

  PageTables pt_;
  TbCache cache_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Vcpu> hart_;
};

TEST_P(PagedHartTest, LoadsStoresThroughPagesAndFaultsPrecisely) {
  absl::StatusOr<Vcpu::StopReason> stop = hart_->Run(100);
  ASSERT_TRUE(stop.ok()) << stop.status();
  ASSERT_EQ(*stop, Vcpu::StopReason::kWaitForInterrupt);
  const CpuState& s = hart_->state();
  EXPECT_EQ(s.x[11], 0x1122334455667788u);  // a1, from the 4 KiB page
  EXPECT_EQ(s.x[14], 0xa5a5a5a5u);          // a4, from the 2 MiB page
  EXPECT_EQ(s.x[15], 0x77u);                // a5, read-only page is readable
  uint64_t stored = 0;
  ASSERT_TRUE(pt_.mem().Read(kRam + 0x3008, &stored, 8).ok());
  EXPECT_EQ(stored, 0x1122334455667788u);
  // The store to the read-only page: cause 15, tval = the virtual address,
  // epc = the store, taken to M from S; memory unchanged.
  EXPECT_EQ(s.mcause, kCauseStorePageFault);
  EXPECT_EQ(s.mtval, 0x201000u);
  EXPECT_EQ(s.mepc, 0x4000101cu);
  EXPECT_EQ((s.mstatus & kMstatusMpp) >> 11, kPrivS);
  uint64_t ro = 0;
  ASSERT_TRUE(pt_.mem().Read(kRam + 0x4000, &ro, 8).ok());
  EXPECT_EQ(ro, 0x77u);
  // A/D as the accesses left them.
  EXPECT_EQ(pt_.Get(kRoot, 1) & (kPteA | kPteD), kPteA);          // fetched
  EXPECT_EQ(pt_.Get(kL0, 0) & (kPteA | kPteD), kPteA | kPteD);    // stored
  EXPECT_EQ(pt_.Get(kL0, 1) & (kPteA | kPteD), kPteA);            // loaded only
  EXPECT_EQ(pt_.Get(kL1, 2) & (kPteA | kPteD), kPteA);
}

TEST_P(PagedHartTest, UnmappedCodeIsAnInstructionPageFault) {
  hart_->state().pc = 0x7000;  // no mapping (kL0 index 7 empty)
  absl::StatusOr<Vcpu::StopReason> stop = hart_->Run(100);
  ASSERT_TRUE(stop.ok()) << stop.status();
  ASSERT_EQ(*stop, Vcpu::StopReason::kWaitForInterrupt);
  EXPECT_EQ(hart_->state().mcause, kCauseInsnPageFault);
  EXPECT_EQ(hart_->state().mtval, 0x7000u);
  EXPECT_EQ(hart_->state().mepc, 0x7000u);
}

TEST_P(PagedHartTest, RemappingAfterSfenceRunsTheNewCode) {
  // Run the program once, then point the code page elsewhere: the same
  // virtual PC must now run the other physical code (blocks are keyed by
  // physical address too), here an immediate WFI in S-mode.
  ASSERT_TRUE(hart_->Run(100).ok());
  Put(kRam + 0x201000, &kMHandler, 4);  // wfi at a new physical page
  pt_.Set(kRoot, 1, Table(kL1));        // 0x40000000 -> kL1 table now
  pt_.Set(kL1, 0, Table(kL0));
  pt_.Set(kL0, 0x1, Pte(kRam + 0x201000, kPteR | kPteX));
  // kL1 index 0 maps VA 0x40000000..0x401fffff via kL0 (index 1 = 0x40001000).
  CpuState& s = hart_->state();
  s.priv = kPrivS;
  s.pc = 0x40001000;
  hart_->RequestTlbFlush();  // what SFENCE.VMA does
  absl::StatusOr<Vcpu::StopReason> stop = hart_->Run(100);
  ASSERT_TRUE(stop.ok()) << stop.status();
  ASSERT_EQ(*stop, Vcpu::StopReason::kWaitForInterrupt);
  EXPECT_EQ(s.priv, kPrivS) << "ran the new WFI in S, no trap";
  EXPECT_EQ(s.pc, 0x40001004u);
}

INSTANTIATE_TEST_SUITE_P(Backends, PagedHartTest,
                         ::testing::Values(BackendKind::kInterp, BackendKind::kX86),
                         [](const ::testing::TestParamInfo<BackendKind>& info) {
                           return info.param == BackendKind::kInterp ? "Interp" : "X86";
                         });

}  // namespace
}  // namespace tcg::riscv64
