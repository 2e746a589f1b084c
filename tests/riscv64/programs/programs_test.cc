// Runs C programs on the riscv64 TCG (both backends) and compares their UART
// output with the same source compiled for and run on the host.

#include <cstdio>
#include <string>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tcg/interp/interpreter.h"
#include "tcg/riscv64/testing/bare_metal_machine.h"
#include "tcg/x86_64/backend.h"

namespace tcg::riscv64 {
namespace {

using testing::BareMetalMachine;

std::string HostOutput(const std::string& binary) {
  std::string out;
  FILE* f = popen(binary.c_str(), "r");
  if (f == nullptr) return "<popen failed>";
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

class ProgramTest : public ::testing::TestWithParam<const char*> {
 protected:
  void RunOn(Backend* backend) {
    const std::string name = GetParam();
    const std::string want = HostOutput("tests/riscv64/programs/" + name + "_host");
    ASSERT_FALSE(want.empty());
    BareMetalMachine::Options options;
    options.max_blocks = 200'000'000;
    BareMetalMachine machine(options, backend);
    ASSERT_TRUE(machine.LoadElfFile("tests/riscv64/programs/" + name + ".elf").ok());
    absl::StatusOr<BareMetalMachine::Result> r = machine.Run();
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->finished) << name << " did not finish; output so far:\n" << r->uart;
    EXPECT_TRUE(r->passed) << name << " self-check failed with code " << r->fail_code;
    EXPECT_EQ(r->uart, want);
    const TbCache::Stats stats = machine.tb_cache().stats();
    std::printf("%s: %lu guest instructions, %lu blocks translated, %lu page invalidations\n%s",
                name.c_str(), static_cast<unsigned long>(r->insns),
                static_cast<unsigned long>(stats.inserts),
                static_cast<unsigned long>(stats.page_invalidations), r->uart.c_str());
  }
};

TEST_P(ProgramTest, MatchesHostOnInterpreter) {
  Interpreter interp;
  RunOn(&interp);
}

TEST_P(ProgramTest, MatchesHostOnX86Backend) {
  x86_64::X86Backend x86(kPcOffset);
  RunOn(&x86);
}

INSTANTIATE_TEST_SUITE_P(Programs, ProgramTest, ::testing::Values("sort", "hash", "recursion", "nbody"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace tcg::riscv64
