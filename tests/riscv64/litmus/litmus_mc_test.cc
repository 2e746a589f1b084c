// Multi-hart litmus tests (litmus_mc.c) on 4 harts, and its pair tests on 2
// harts (litmus_pairs.elf), one host thread each, on both backends: no
// outcome RVWMO forbids, exact LR/SC and AMO counts. Relaxed (allowed)
// outcomes are printed, not asserted: whether harts overlap depends on the
// host's load.

#include <string>

#include "gtest/gtest.h"
#include "tcg/interp/interpreter.h"
#include "tcg/riscv64/testing/bare_metal_machine.h"
#include "tcg/x86_64/backend.h"

namespace tcg::riscv64 {
namespace {

using testing::BareMetalMachine;

void RunOn(Backend* backend, int harts = 4, const char* elf = "tests/riscv64/litmus/litmus_mc.elf") {
  BareMetalMachine::Options options;
  options.harts = harts;
  // Harts spin at barriers; a descheduled peer (loaded CI host) can cost
  // billions of spin blocks, so the budget only guards against livelock.
  options.max_blocks = 20'000'000'000;
  BareMetalMachine machine(options, backend);
  ASSERT_TRUE(machine.LoadElfFile(elf).ok());
  absl::StatusOr<BareMetalMachine::Result> r = machine.Run();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->finished) << "output so far:\n" << r->uart;
  EXPECT_TRUE(r->passed) << "forbidden outcome in test " << r->fail_code << ":\n" << r->uart;
  if (harts == 4) {
    EXPECT_NE(r->uart.find("IRIW+fences: forbidden 0"), std::string::npos) << r->uart;
  } else {
    EXPECT_EQ(r->uart.find("IRIW"), std::string::npos) << r->uart;
  }
  EXPECT_NE(r->uart.find("SB (allowed) x2: forbidden 0"), std::string::npos) << r->uart;
  EXPECT_NE(r->uart.find("lr/sc 8192 amo 8192 of 8192"), std::string::npos) << r->uart;
  std::printf("%s", r->uart.c_str());
}

TEST(LitmusMcTest, NoForbiddenOutcomeOnX86Backend) {
  x86_64::X86Backend x86(kPcOffset);
  RunOn(&x86);
}

TEST(LitmusMcTest, NoForbiddenOutcomeOnInterpreter) {
  Interpreter interp;
  RunOn(&interp);
}

constexpr const char* kPairs = "tests/riscv64/litmus/litmus_pairs.elf";

TEST(LitmusMcTest, PairsOnTwoHartsOnX86Backend) {
  x86_64::X86Backend x86(kPcOffset);
  RunOn(&x86, 2, kPairs);
}

TEST(LitmusMcTest, PairsOnTwoHartsOnInterpreter) {
  Interpreter interp;
  RunOn(&interp, 2, kPairs);
}

}  // namespace
}  // namespace tcg::riscv64
