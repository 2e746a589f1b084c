// Runs each bare-metal instruction-test image on the TCG (interpreter and
// x86-64 backends) and expects the finisher's pass code. On failure the test number
// (gp at the failing check, or 0x100 + mcause for an unexpected trap) is
// printed.

#include <string>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tcg/interp/interpreter.h"
#include "tcg/riscv64/testing/bare_metal_machine.h"
#include "tcg/x86_64/backend.h"

namespace tcg::riscv64 {
namespace {

using testing::BareMetalMachine;

struct IsaCase {
  const char* name;
  int harts;
};

class IsaTest : public ::testing::TestWithParam<IsaCase> {};

void RunImage(const IsaCase& c, Backend* backend) {
  BareMetalMachine::Options options;
  options.harts = c.harts;
  // Multi-hart images spin at barriers: a hart whose peer the host has
  // descheduled (a loaded 2-core CI machine) can run billions of spin blocks,
  // so their budget only guards against a true livelock.
  options.max_blocks = c.harts > 1 ? 20'000'000'000 : 100'000'000;
  BareMetalMachine machine(options, backend);
  const std::string path = absl::StrFormat("tests/riscv64/%s.elf", c.name);
  ASSERT_TRUE(machine.LoadElfFile(path).ok()) << machine.LoadElfFile(path);
  absl::StatusOr<BareMetalMachine::Result> r = machine.Run();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->finished) << c.name << ": finisher never written";
  EXPECT_TRUE(r->passed) << absl::StrFormat("%s: failed test %d (0x%x)", c.name, r->fail_code,
                                            r->fail_code);
}

TEST_P(IsaTest, PassesOnInterpreter) {
  Interpreter interp;
  RunImage(GetParam(), &interp);
}

TEST_P(IsaTest, PassesOnX86Backend) {
  x86_64::X86Backend x86(kPcOffset);
  RunImage(GetParam(), &x86);
}

INSTANTIATE_TEST_SUITE_P(
    Groups, IsaTest,
    ::testing::Values(IsaCase{"rv64i_alu", 1}, IsaCase{"rv64i_w", 1}, IsaCase{"rv64i_branch", 1},
                      IsaCase{"rv64i_mem", 1}, IsaCase{"rv64m", 1}, IsaCase{"rv64a", 1},
                      IsaCase{"rvc", 1}, IsaCase{"zicsr", 1}, IsaCase{"fencei", 1},
                      IsaCase{"faults", 1}, IsaCase{"smp_counter", 4},
                      IsaCase{"litmus", 2}, IsaCase{"zb", 1},
                      IsaCase{"priv", 1}, IsaCase{"irq", 1}, IsaCase{"irq_wfi", 2},
                      IsaCase{"fp", 1}),
    [](const ::testing::TestParamInfo<IsaCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace tcg::riscv64
