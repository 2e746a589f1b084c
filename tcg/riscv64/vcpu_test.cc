// Vcpu interrupt pins and WFI: a hart waiting for an interrupt sleeps
// (no host CPU) until a pin from another thread, a deadline or a stop.

#include "tcg/riscv64/vcpu.h"

#include <time.h>

#include <cstdint>
#include <thread>

#include "gtest/gtest.h"
#include "tcg/interp/interpreter.h"
#include "tcg/testing/flat_memory.h"

namespace tcg::riscv64 {
namespace {

constexpr uint64_t kRam = 0x80000000;

// li t0, 8; csrw mie, t0; wfi; j .
constexpr uint32_t kProgram[] = {0x00800293, 0x30429073, 0x10500073, 0x0000006f};

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

class VcpuWfiTest : public ::testing::Test {
 protected:
  VcpuWfiTest() : memory_(kRam, 1 << 16), hart_(&cache_, &interp_, &memory_, 0) {
    EXPECT_TRUE(memory_.Write(kRam, kProgram, sizeof(kProgram)).ok());
    hart_.state().pc = kRam;
  }

  void RunToWfi() {
    absl::StatusOr<Vcpu::StopReason> stop = hart_.Run(1000);
    ASSERT_TRUE(stop.ok()) << stop.status();
    ASSERT_EQ(*stop, Vcpu::StopReason::kWaitForInterrupt);
    EXPECT_EQ(hart_.state().pc, kRam + 12);  // past the WFI
  }

  tcg::testing::FlatMemory memory_;
  TbCache cache_;
  Interpreter interp_;
  Vcpu hart_;
};

TEST_F(VcpuWfiTest, PinFromAnotherThreadWakesWithoutSpinning) {
  RunToWfi();
  std::thread device([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    hart_.SetInterruptPin(kMipMsip, true);
  });
  const absl::Time start = absl::Now();
  const double cpu_start = ThreadCpuSeconds();
  EXPECT_TRUE(hart_.WaitForInterrupt(absl::Now() + absl::Seconds(30)));
  const double cpu = ThreadCpuSeconds() - cpu_start;
  const absl::Duration wall = absl::Now() - start;
  device.join();
  EXPECT_GE(wall, absl::Milliseconds(250));
  EXPECT_LT(cpu, 0.05) << "a waiting hart must not burn host CPU";
  // mip shows the pin; with MIE clear no trap is taken and the hart
  // continues after the WFI.
  EXPECT_EQ(hart_.pins(), kMipMsip);
  absl::StatusOr<Vcpu::StopReason> stop = hart_.Run(10);
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(*stop, Vcpu::StopReason::kBudgetExhausted);
  EXPECT_EQ(hart_.traps_taken(), 0u);
}

TEST_F(VcpuWfiTest, DeadlineEndsTheWait) {
  RunToWfi();
  const absl::Time start = absl::Now();
  EXPECT_FALSE(hart_.WaitForInterrupt(start + absl::Milliseconds(100)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(90));
}

TEST_F(VcpuWfiTest, StopEndsTheWait) {
  RunToWfi();
  std::thread stopper([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    hart_.RequestStop();
  });
  EXPECT_FALSE(hart_.WaitForInterrupt(absl::Now() + absl::Seconds(30)));
  stopper.join();
  absl::StatusOr<Vcpu::StopReason> stop = hart_.Run(10);
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(*stop, Vcpu::StopReason::kStopRequested);
}

TEST_F(VcpuWfiTest, EnabledPinsAreTakenInPriorityOrder) {
  RunToWfi();
  hart_.state().mtvec = kRam + 12;  // the `j .` loop
  hart_.state().mstatus |= kMstatusMie;
  hart_.SetInterruptPin(kMipMsip | kMipMeip, true);
  // mie = MSIE only (set by the program): MSI is taken, MEI stays pending.
  absl::StatusOr<Vcpu::StopReason> stop = hart_.Run(10);
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(hart_.traps_taken(), 1u);
  EXPECT_EQ(hart_.state().mcause, kInterruptBit | kIrqMSoft);
  EXPECT_EQ(hart_.state().mepc, kRam + 12);
  EXPECT_FALSE(hart_.state().mstatus & kMstatusMie);  // masked in the handler
  // Both enabled: MEI has priority (spec 3.1.9).
  hart_.state().mie = kMipMsip | kMipMeip;
  hart_.state().mstatus |= kMstatusMie;
  stop = hart_.Run(10);
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(hart_.traps_taken(), 2u);
  EXPECT_EQ(hart_.state().mcause, kInterruptBit | kIrqMExt);
}

// li t0, 8; csrw mie, t0; 1: wfi; j 1b -- a WFI loop, as OpenSBI 1.1's
// sbi_hsm_hart_wait() runs it (with a load of the HSM state in the loop).
constexpr uint32_t kWfiLoop[] = {0x00800293, 0x30429073, 0x10500073, 0xffdff06f};

class VcpuWfiPollTest : public VcpuWfiTest {
 protected:
  VcpuWfiPollTest() {
    EXPECT_TRUE(memory_.Write(kRam, kWfiLoop, sizeof(kWfiLoop)).ok());
    // MSIP pending and enabled in mie, mstatus.MIE clear: every WFI
    // completes at once and the interrupt is never taken.
    hart_.SetInterruptPin(kMipMsip, true);
  }
  // Runs the loop until it stops at a polling WFI.
  void RunToPollingWfi() {
    absl::StatusOr<Vcpu::StopReason> stop = hart_.Run(1000);
    ASSERT_TRUE(stop.ok()) << stop.status();
    ASSERT_EQ(*stop, Vcpu::StopReason::kWaitForInterrupt);
    EXPECT_EQ(hart_.state().pc, kRam + 12);  // past the WFI
    EXPECT_EQ(hart_.traps_taken(), 0u);
  }
};

TEST_F(VcpuWfiPollTest, PollingWfiWaitsForThePollBackoff) {
  RunToPollingWfi();
  const absl::Time start = absl::Now();
  EXPECT_TRUE(hart_.WaitForInterrupt(start + absl::Seconds(30)));  // MSIP still pending
  const absl::Duration wall = absl::Now() - start;
  EXPECT_GE(wall, Vcpu::kWfiPollBackoff * 0.9);
  EXPECT_LT(wall, absl::Seconds(5)) << "bounded by kWfiPollBackoff, not the 30 s deadline";
}

TEST_F(VcpuWfiPollTest, APinRaiseEndsThePollAtOnce) {
  RunToPollingWfi();
  // A second IPI while MSIP is pending (hart_start's, in OpenSBI).
  hart_.SetInterruptPin(kMipMsip, true);
  const absl::Time start = absl::Now();
  EXPECT_TRUE(hart_.WaitForInterrupt(start + absl::Seconds(30)));
  EXPECT_LT(absl::Now() - start, Vcpu::kWfiPollBackoff);
  // And the WFI after it completes at once again (a new pin raise).
  absl::StatusOr<Vcpu::StopReason> stop = hart_.Run(2);
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(*stop, Vcpu::StopReason::kBudgetExhausted);
}

TEST_F(VcpuWfiPollTest, LoweringAnotherPinDoesNotEndThePoll) {
  RunToPollingWfi();
  std::thread plic([this] {
    // The PLIC drives SEIP low on every UART interrupt of another hart.
    for (int i = 0; i < 20; ++i) {
      hart_.SetInterruptPin(kMipSeip, false);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  const absl::Time start = absl::Now();
  EXPECT_TRUE(hart_.WaitForInterrupt(start + absl::Seconds(30)));
  plic.join();
  EXPECT_GE(absl::Now() - start, Vcpu::kWfiPollBackoff * 0.9);
}

TEST_F(VcpuWfiPollTest, APollingHartDoesNotSpinTheHostCpu) {
  // The vCPU thread's loop (accel/tcg TcgVcpu::Run) for 300 ms: without the
  // backoff this spins at 100 % of a host CPU.
  const absl::Time end = absl::Now() + absl::Milliseconds(300);
  const double cpu_start = ThreadCpuSeconds();
  int waits = 0;
  while (absl::Now() < end) {
    absl::StatusOr<Vcpu::StopReason> stop = hart_.Run(20000);
    ASSERT_TRUE(stop.ok());
    if (*stop == Vcpu::StopReason::kWaitForInterrupt) {
      hart_.WaitForInterrupt(absl::Now() + absl::Seconds(1));
      ++waits;
    }
  }
  const double cpu = ThreadCpuSeconds() - cpu_start;
  EXPECT_GT(waits, 0);
  EXPECT_LT(cpu, 0.15) << "a hart polling WFI with MSIP pending burnt " << cpu << " s of 0.3 s";
  EXPECT_EQ(hart_.traps_taken(), 0u);
}

}  // namespace
}  // namespace tcg::riscv64
