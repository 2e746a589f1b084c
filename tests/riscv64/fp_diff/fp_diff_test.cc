// F/D against QEMU: fp_diff.c prints a hash of (result bits, fflags) for
// every F/D instruction and rounding mode over random edge-biased operands.
// QEMU's riscv64 user mode (softfloat with the RISC-V NaN and tininess
// rules) gives the reference; both of our backends must print the same.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tcg/interp/interpreter.h"
#include "tcg/riscv64/testing/bare_metal_machine.h"
#include "tcg/x86_64/backend.h"

namespace tcg::riscv64 {
namespace {

using testing::BareMetalMachine;

std::string QemuOutput() {
  std::string out;
  FILE* f = popen("qemu-riscv64 tests/riscv64/fp_diff/fp_diff_linux 2>&1", "r");
  if (f == nullptr) return "";
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  const int status = pclose(f);
  return status == 0 ? out : "qemu-riscv64 failed (install the qemu-user package): " + out;
}

void RunOn(Backend* backend) {
  const std::string want = QemuOutput();
  ASSERT_NE(want.find("total "), std::string::npos) << want;
  BareMetalMachine::Options options;
  options.max_blocks = 500'000'000;
  BareMetalMachine machine(options, backend);
  ASSERT_TRUE(machine.LoadElfFile("tests/riscv64/fp_diff/fp_diff_bare.elf").ok());
  absl::StatusOr<BareMetalMachine::Result> r = machine.Run();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->finished) << "output so far:\n" << r->uart;
  EXPECT_TRUE(r->passed) << r->fail_code;
  // Line by line, so a failure names the instruction and rounding mode.
  const std::vector<std::string> ours = absl::StrSplit(r->uart, '\n');
  const std::vector<std::string> qemu = absl::StrSplit(want, '\n');
  ASSERT_EQ(ours.size(), qemu.size()) << r->uart;
  int mismatches = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    if (ours[i] != qemu[i]) {
      ADD_FAILURE() << "ours: " << ours[i] << "  qemu: " << qemu[i];
      ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(FpDiffTest, InterpreterMatchesQemu) {
  Interpreter interp;
  RunOn(&interp);
}

TEST(FpDiffTest, X86BackendMatchesQemu) {
  x86_64::X86Backend x86(kPcOffset);
  RunOn(&x86);
}

}  // namespace
}  // namespace tcg::riscv64
