// Direct block chaining on the x86-64 backend, through a real hart: exact
// block budgets, prompt stops and interrupts on a loop that never returns
// to the dispatcher by itself, and self-modifying code breaking chains.

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "tcg/riscv64/vcpu.h"
#include "tcg/testing/flat_memory.h"
#include "tcg/x86_64/backend.h"

namespace tcg::riscv64 {
namespace {

constexpr uint64_t kRam = 0x80000000;

// 0x00 loop: addi a0, a0, 1; beq zero, zero, next
// 0x08 next: addi a1, a1, 1; j loop
// 0x10 handler: csrw mie, zero; wfi
// 0x18 smc: addi a0, a0, 1; beq zero, zero, 0x20
// 0x20 sw t1, 0(t2); j smc
// 0x28 (data) addi a0, a0, 100
constexpr uint32_t kProgram[] = {0x00150513, 0x00000263, 0x00158593, 0xff5ff06f,
                                 0x30401073, 0x10500073, 0x00150513, 0x00000263,
                                 0x0063a023, 0xff5ff06f, 0x06450513};

class ChainTest : public ::testing::Test {
 protected:
  ChainTest()
      : memory_(kRam, 1 << 16), x86_(kPcOffset), hart_(&cache_, &x86_, &memory_, 0) {
    EXPECT_TRUE(memory_.Write(kRam, kProgram, sizeof(kProgram)).ok());
    hart_.state().pc = kRam;
  }

  tcg::testing::FlatMemory memory_;
  TbCache cache_;
  x86_64::X86Backend x86_;
  Vcpu hart_;
};

TEST_F(ChainTest, BudgetIsExactAndBlocksChain) {
  absl::StatusOr<Vcpu::StopReason> stop = hart_.Run(10000);
  ASSERT_TRUE(stop.ok()) << stop.status();
  EXPECT_EQ(*stop, Vcpu::StopReason::kBudgetExhausted);
  // Each block bumps one counter: 10000 blocks, alternating.
  EXPECT_EQ(hart_.state().x[10], 5000u);
  EXPECT_EQ(hart_.state().x[11], 5000u);
  EXPECT_EQ(hart_.executor().blocks_executed(), 10000u);
  // Both edges get linked after their first run; then the loop stays in
  // generated code.
  EXPECT_LE(hart_.executor().dispatches(), 4u);
}

TEST_F(ChainTest, StopBreaksAChainedLoopPromptly) {
  std::thread stopper([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    hart_.RequestStop();
  });
  const absl::Time start = absl::Now();
  absl::StatusOr<Vcpu::StopReason> stop = hart_.Run(uint64_t{1} << 50);
  const absl::Duration took = absl::Now() - start;
  stopper.join();
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(*stop, Vcpu::StopReason::kStopRequested);
  EXPECT_LT(took, absl::Seconds(5));
  EXPECT_GT(hart_.state().x[10], 1000u);  // it did run chained meanwhile
}

TEST_F(ChainTest, InterruptPinIsTakenFromAChainedLoop) {
  hart_.state().mtvec = kRam + 0x10;
  hart_.state().mie = kMipMeip;
  hart_.state().mstatus |= kMstatusMie;
  std::thread device([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    hart_.SetInterruptPin(kMipMeip, true);
  });
  absl::StatusOr<Vcpu::StopReason> stop = hart_.Run(uint64_t{1} << 50);
  device.join();
  ASSERT_TRUE(stop.ok());
  // The handler masks mie and waits: back to the caller.
  EXPECT_EQ(*stop, Vcpu::StopReason::kWaitForInterrupt);
  EXPECT_EQ(hart_.state().mcause, kInterruptBit | kIrqMExt);
  EXPECT_EQ(hart_.traps_taken(), 1u);
}

TEST_F(ChainTest, StoreIntoChainedCodeRetranslates) {
  // The loop at 0x18 patches its own first instruction to "addi a0, a0,
  // 100" on its first pass; later passes must run the new code although
  // the two blocks are chained to each other.
  hart_.state().pc = kRam + 0x18;
  hart_.state().x[6] = kProgram[10];  // t1: the new instruction
  hart_.state().x[7] = kRam + 0x18;   // t2: where it goes
  absl::StatusOr<Vcpu::StopReason> stop = hart_.Run(2000);
  ASSERT_TRUE(stop.ok());
  // 1000 passes: the first adds 1, every later one 100.
  EXPECT_EQ(hart_.state().x[10], 1u + 999u * 100u);
}

// Returns (JALR) chain through the executor's indirect cache: a call/return
// loop stays in generated code after its first pass.
TEST_F(ChainTest, IndirectJumpsChainThroughTheLookupCache) {
  // 0x1000: jal ra, f; j 0x1000; f: addi a0, a0, 1; ret
  constexpr uint32_t kCallLoop[] = {0x008000ef, 0xffdff06f, 0x00150513, 0x00008067};
  ASSERT_TRUE(memory_.Write(kRam + 0x1000, kCallLoop, sizeof(kCallLoop)).ok());
  hart_.state().pc = kRam + 0x1000;
  absl::StatusOr<Vcpu::StopReason> stop = hart_.Run(30000);
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(hart_.state().x[10], 10000u);  // three blocks per call
  EXPECT_LE(hart_.executor().dispatches(), 8u);
}

}  // namespace
}  // namespace tcg::riscv64
