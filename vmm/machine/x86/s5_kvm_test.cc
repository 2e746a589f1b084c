// Guest poweroff through ACPI on the real /dev/kvm (issue 3), with tiny PVH
// payloads instead of Linux: once the guest has run \_PTS(5) (our DSDT's
// method writes 5 to port 0x617), it has committed to S5, so a triple fault
// before the S5 write, or no write at all within the S5 deadline, still ends
// the VM powered off - what Linux guests did now and then in the nested lab,
// stuck after "reboot: Power down". Without \_PTS(5) a triple fault stays a
// crash.
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "vmm/machine/x86/pvh_test_elf.h"
#include "vmm/machine/x86/x86_kvm_machine.h"

namespace vmm {
namespace {

// 32-bit code pieces (as --32), entered at kPvhTestLoad.
//   mov $0x617,%dx; mov $5,%al; out %al,(%dx)          \_PTS(5) as our AML does it
const std::vector<uint8_t> kPts5 = {0x66, 0xba, 0x17, 0x06, 0xb0, 0x05, 0xee};
//   mov $0x617,%dx; mov $3,%al; out %al,(%dx)          \_PTS(3): not a poweroff
const std::vector<uint8_t> kPts3 = {0x66, 0xba, 0x17, 0x06, 0xb0, 0x03, 0xee};
//   lidt 0x100100 (zeros: limit 0); ud2                #UD -> #GP -> #DF -> shutdown
const std::vector<uint8_t> kTripleFault = {0x0f, 0x01, 0x1d, 0x00, 0x01, 0x10, 0x00, 0x0f, 0x0b};
//   cli; 1: hlt; jmp 1b                                stuck for good
const std::vector<uint8_t> kHang = {0xfa, 0xf4, 0xeb, 0xfd};
//   mov $0x614,%dx; mov $0x3400,%ax; out %ax,(%dx); hlt  SLP_TYP=5 | SLP_EN to PM1a_CNT
const std::vector<uint8_t> kS5Write = {0x66, 0xba, 0x14, 0x06, 0x66, 0xb8,
                                       0x00, 0x34, 0x66, 0xef, 0xf4};
constexpr uint64_t kZeros = 0x200;  // bss: the null IDT at 0x100100.

struct BootResult {
  MachineExit exit;
  absl::Duration took;
};

BootResult Boot(const std::string& name, std::vector<std::vector<uint8_t>> pieces,
         absl::Duration s5_deadline) {
  std::vector<uint8_t> code;
  for (const auto& p : pieces) code.insert(code.end(), p.begin(), p.end());
  const char* tmp = std::getenv("TEST_TMPDIR");
  MachineSpec spec;
  spec.arch = GuestArch::kX86_64;
  spec.vcpus = 2;  // vCPU 1 waits for INIT/SIPI, as an AP the kernel stopped.
  spec.memory_bytes = 32 << 20;
  spec.kernel_path = WritePvhTestElf(tmp != nullptr ? tmp : "/tmp", name, code, kZeros);
  X86MachineOptions options;
  options.s5_deadline = s5_deadline;
  auto machine = X86KvmMachine::Create(spec, [](absl::string_view) {}, options);
  EXPECT_TRUE(machine.ok()) << machine.status();
  if (!machine.ok()) return {};
  const absl::Time t0 = absl::Now();
  EXPECT_TRUE((*machine)->Start().ok());
  BootResult run;
  run.exit = (*machine)->WaitForExit();
  run.took = absl::Now() - t0;
  return run;
}

bool Has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(S5KvmTest, S5WriteAfterPtsPowersOffAtOnce) {
  BootResult r = Boot("s5.elf", {kPts5, kS5Write}, absl::Seconds(60));
  EXPECT_EQ(r.exit.kind, MachineExit::Kind::kPowerOff) << r.exit.message;
  EXPECT_TRUE(Has(r.exit.message, "PM1a control")) << r.exit.message;
  EXPECT_LT(r.took, absl::Seconds(30)) << "the S5 write, not the deadline, ended it";
}

TEST(S5KvmTest, TripleFaultAfterPts5IsAPowerOff) {
  BootResult r = Boot("pts_fault.elf", {kPts5, kTripleFault}, absl::Seconds(60));
  EXPECT_EQ(r.exit.kind, MachineExit::Kind::kPowerOff) << r.exit.message;
  EXPECT_TRUE(Has(r.exit.message, "_PTS(5)")) << r.exit.message;
  EXPECT_TRUE(Has(r.exit.message, "triple fault")) << r.exit.message;
}

TEST(S5KvmTest, TripleFaultWithoutPts5IsACrash) {
  BootResult plain = Boot("fault.elf", {kTripleFault}, absl::Seconds(60));
  EXPECT_EQ(plain.exit.kind, MachineExit::Kind::kCrash) << plain.exit.message;
  EXPECT_TRUE(Has(plain.exit.message, "KVM_EXIT_SHUTDOWN")) << plain.exit.message;
  // The crash report carries the vCPU's last exits, ending in the shutdown.
  EXPECT_TRUE(Has(plain.exit.message, "shutdown]")) << plain.exit.message;
  BootResult s3 = Boot("pts3_fault.elf", {kPts3, kTripleFault}, absl::Seconds(60));
  EXPECT_EQ(s3.exit.kind, MachineExit::Kind::kCrash) << s3.exit.message;
}

TEST(S5KvmTest, StuckAfterPts5PowersOffAtTheDeadline) {
  BootResult r = Boot("pts_hang.elf", {kPts5, kHang}, absl::Seconds(2));
  EXPECT_EQ(r.exit.kind, MachineExit::Kind::kPowerOff) << r.exit.message;
  EXPECT_TRUE(Has(r.exit.message, "neither wrote S5")) << r.exit.message;
  EXPECT_GE(r.took, absl::Seconds(2));
  EXPECT_LT(r.took, absl::Seconds(30));
}

TEST(S5KvmTest, StuckWithoutPts5RunsOn) {
  // No \_PTS(5): no deadline applies; the host has to stop the guest.
  std::vector<uint8_t> code = kHang;
  const char* tmp = std::getenv("TEST_TMPDIR");
  MachineSpec spec;
  spec.arch = GuestArch::kX86_64;
  spec.vcpus = 1;
  spec.memory_bytes = 32 << 20;
  spec.kernel_path = WritePvhTestElf(tmp != nullptr ? tmp : "/tmp", "hang.elf", code, kZeros);
  X86MachineOptions options;
  options.s5_deadline = absl::Milliseconds(200);
  auto machine = X86KvmMachine::Create(spec, [](absl::string_view) {}, options);
  ASSERT_TRUE(machine.ok()) << machine.status();
  ASSERT_TRUE((*machine)->Start().ok());
  absl::SleepFor(absl::Seconds(1));
  (*machine)->Stop();
  EXPECT_EQ((*machine)->WaitForExit().kind, MachineExit::Kind::kStopped);
}

}  // namespace
}  // namespace vmm
