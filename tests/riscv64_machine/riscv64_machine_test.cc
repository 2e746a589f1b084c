// The riscv64 virt machine through BuildMachine (no daemon): bare-metal
// payloads (UART, FDT in a1, finisher poweroff/reboot), and the fixture
// Linux kernel (tools/riscv-fixture) booted through OpenSBI to its init on
// 1, 2 and 4 vCPUs, with a virtio-blk disk, pause/resume and stop.
// Linux tests skip when the fixture or OpenSBI is not installed.

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "vmm/machine/machine.h"
#include "vmm/machine/riscv/riscv_boot.h"
#include "vmm/machine/riscv/riscv_virt_machine.h"

namespace vmm {
namespace {

constexpr const char* kMarker = "VMM-RISCV-INIT-MARKER";
// Under the shared 2-core host a 4-hart boot can take a minute.
constexpr absl::Duration kBootBudget = absl::Seconds(170);

std::string Runfile(const std::string& rel) {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* ws = getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/", ws ? ws : "vmm", "/", rel);
}

// The cached fixture directory (Image + init.cpio) built for the current
// tools/riscv-fixture sources (`build.sh --cached-only`), or "".
std::string FixtureDir() {
  const std::string cmd =
      absl::StrCat(Runfile("tools/riscv-fixture/build.sh"), " --cached-only 2>/dev/null");
  std::string dir;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char line[4096];
    while (fgets(line, sizeof(line), p) != nullptr) dir = line;
    if (pclose(p) != 0) dir.clear();
  }
  while (!dir.empty() && (dir.back() == '\n' || dir.back() == ' ')) dir.pop_back();
  if (dir.empty() || access((dir + "/init.cpio").c_str(), R_OK) != 0) return "";
  return dir;
}

// Runs a machine, collecting the console, until it exits (or the budget
// passes: then it is stopped and the test fails).
class GuestRun {
 public:
  explicit GuestRun(MachineSpec spec) {
    absl::StatusOr<std::unique_ptr<Machine>> m =
        BuildMachine(spec, [this](absl::string_view b) {
          absl::MutexLock lock(&mu_);
          console_.append(b.data(), b.size());
        });
    status_ = m.status();
    if (m.ok()) machine_ = std::move(*m);
  }
  ~GuestRun() {
    if (machine_) {
      machine_->Stop();
      machine_->WaitForExit();
    }
  }
  const absl::Status& status() const { return status_; }
  Machine& machine() { return *machine_; }
  RiscvVirtMachine& rv() { return *dynamic_cast<RiscvVirtMachine*>(machine_.get()); }
  std::string console() {
    absl::MutexLock lock(&mu_);
    return console_;
  }
  bool WaitForConsole(absl::string_view text, absl::Duration budget) {
    const absl::Time deadline = absl::Now() + budget;
    while (absl::Now() < deadline) {
      if (absl::StrContains(console(), text)) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }
  MachineExit Finish(absl::Duration budget) {
    std::thread watchdog([this, budget] {
      absl::MutexLock lock(&done_mu_);
      if (!done_mu_.AwaitWithTimeout(absl::Condition(&done_), budget)) machine_->Stop();
    });
    MachineExit exit = machine_->WaitForExit();
    {
      absl::MutexLock lock(&done_mu_);
      done_ = true;
    }
    watchdog.join();
    return exit;
  }

 private:
  absl::Status status_;
  std::unique_ptr<Machine> machine_;
  absl::Mutex mu_;
  std::string console_ ABSL_GUARDED_BY(mu_);
  absl::Mutex done_mu_;
  bool done_ ABSL_GUARDED_BY(done_mu_) = false;
};

MachineSpec PayloadSpec(const std::string& elf, uint32_t vcpus) {
  MachineSpec spec;
  spec.arch = GuestArch::kRiscv64;
  spec.accel = AccelKind::kAuto;
  spec.vcpus = vcpus;
  spec.memory_bytes = 16 << 20;
  spec.payload_path = Runfile(elf);
  return spec;
}

TEST(RiscvPayloadTest, HartsPrintThroughTheUartAndPowerOffWithACode) {
  GuestRun run(PayloadSpec("tests/riscv64_machine/hello.elf", 2));
  ASSERT_TRUE(run.status().ok()) << run.status();
  EXPECT_EQ(run.machine().accel(), AccelKind::kTcg) << "AUTO picks TCG for riscv64";
  ASSERT_TRUE(run.machine().Start().ok());
  MachineExit exit = run.Finish(absl::Seconds(60));
  EXPECT_EQ(exit.kind, MachineExit::Kind::kPowerOff) << exit.message;
  EXPECT_TRUE(absl::StrContains(exit.message, "failure code 3")) << exit.message;
  EXPECT_EQ(run.console(), "hart 0\nhart 1\n");
}

TEST(RiscvPayloadTest, GuestResetIsAReboot) {
  GuestRun run(PayloadSpec("tests/riscv64_machine/reboot.elf", 1));
  ASSERT_TRUE(run.status().ok()) << run.status();
  ASSERT_TRUE(run.machine().Start().ok());
  EXPECT_EQ(run.Finish(absl::Seconds(60)).kind, MachineExit::Kind::kReboot);
}

TEST(RiscvSpecTest, BadSpecsAreErrorsNamingTheField) {
  MachineSpec spec = PayloadSpec("tests/riscv64_machine/reboot.elf", 1);
  spec.accel = AccelKind::kKvm;
  absl::Status s = ValidateMachineSpec(spec);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "accel=kvm")) << s;
  spec.accel = AccelKind::kTcg;
  EXPECT_TRUE(ValidateMachineSpec(spec).ok());
  spec.vcpus = 0;
  EXPECT_TRUE(absl::StrContains(ValidateMachineSpec(spec).message(), "vcpus=0"));
  spec = PayloadSpec("tests/riscv64_machine/reboot.elf", 1);
  spec.payload_path.clear();
  spec.kernel_path = "/nonexistent/Image";
  spec.memory_bytes = 64 << 20;
  spec.firmware_path = "/nonexistent/fw_dynamic.bin";
  GuestRun run(spec);
  EXPECT_FALSE(run.status().ok());
  EXPECT_TRUE(absl::StrContains(run.status().message(), "/nonexistent/fw_dynamic.bin"))
      << run.status();
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

class RiscvLinuxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A Linux boot under ASan outruns the ~3-minute test budget on this
    // host; the optimized pass boots it (the payload tests still run here).
    if (kSanitized) GTEST_SKIP() << "Linux boot skipped under the sanitizers";
    dir_ = FixtureDir();
    if (dir_.empty()) GTEST_SKIP() << "riscv64 fixture not built (tools/riscv-fixture/build.sh)";
    if (access(riscv_boot::kDefaultFirmware, R_OK) != 0) {
      GTEST_SKIP() << "OpenSBI not installed (apt-get install opensbi)";
    }
  }
  MachineSpec Spec(uint32_t vcpus) {
    MachineSpec spec;
    spec.arch = GuestArch::kRiscv64;
    spec.vcpus = vcpus;
    spec.memory_bytes = 256 << 20;
    spec.kernel_path = dir_ + "/Image";
    spec.initrd_path = dir_ + "/init.cpio";
    return spec;
  }
  std::string dir_;
};

class RiscvLinuxBootTest : public RiscvLinuxTest,
                           public ::testing::WithParamInterface<uint32_t> {};

TEST_P(RiscvLinuxBootTest, BootsToInitSeesAllHartsAndPowersOff) {
  const uint32_t vcpus = GetParam();
  GuestRun run(Spec(vcpus));
  ASSERT_TRUE(run.status().ok()) << run.status();
  ASSERT_TRUE(run.machine().Start().ok());
  MachineExit exit = run.Finish(kBootBudget);
  const std::string console = run.console();
  EXPECT_TRUE(absl::StrContains(console, "OpenSBI")) << console;
  EXPECT_TRUE(absl::StrContains(console, absl::StrCat(kMarker, " nproc=", vcpus)))
      << console.substr(console.size() > 3000 ? console.size() - 3000 : 0);
  EXPECT_EQ(exit.kind, MachineExit::Kind::kPowerOff) << exit.message;
}

INSTANTIATE_TEST_SUITE_P(Vcpus, RiscvLinuxBootTest, ::testing::Values(1u, 2u, 4u));

TEST_F(RiscvLinuxTest, VirtioBlkDiskIsReadByTheGuest) {
  // An MBR with two partitions at offsets only the disk's sector 0 tells.
  char path[] = "/tmp/riscv_disk_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string img(8 << 20, '\0');
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) img[at + i] = static_cast<char>(v >> (8 * i));
  };
  img[446 + 4] = static_cast<char>(0x83);
  put32(446 + 8, 2048);
  put32(446 + 12, 4096);
  img[462 + 4] = static_cast<char>(0x83);
  put32(462 + 8, 8192);
  put32(462 + 12, 2048);
  img[510] = 0x55;
  img[511] = static_cast<char>(0xaa);
  ASSERT_EQ(write(fd, img.data(), img.size()), static_cast<ssize_t>(img.size()));
  close(fd);
  MachineSpec spec = Spec(1);
  DiskConfig disk;
  disk.path = path;
  spec.disks.push_back(disk);
  GuestRun run(spec);
  ASSERT_TRUE(run.status().ok()) << run.status();
  ASSERT_TRUE(run.machine().Start().ok());
  MachineExit exit = run.Finish(kBootBudget);
  unlink(path);
  const std::string console = run.console();
  EXPECT_TRUE(absl::StrContains(console, "[vda] 16384 512-byte logical blocks")) << console;
  EXPECT_TRUE(absl::StrContains(console, " vda: vda1 vda2")) << console;
  EXPECT_TRUE(absl::StrContains(console, kMarker));
  EXPECT_EQ(exit.kind, MachineExit::Kind::kPowerOff) << exit.message;
}

TEST_F(RiscvLinuxTest, PauseFreezesHartsAndGuestTimeResumeContinues) {
  GuestRun run(Spec(2));
  ASSERT_TRUE(run.status().ok()) << run.status();
  ASSERT_TRUE(run.machine().Start().ok());
  ASSERT_TRUE(run.WaitForConsole("Linux version", kBootBudget)) << run.console();
  ASSERT_TRUE(run.machine().Pause().ok());
  const uint64_t insns = run.rv().InstructionsRetired();
  const uint64_t time = run.rv().GuestTime();
  const size_t console = run.console().size();
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(run.rv().InstructionsRetired(), insns) << "a paused hart ran";
  EXPECT_EQ(run.rv().GuestTime(), time) << "guest time moved while paused";
  EXPECT_EQ(run.console().size(), console);
  ASSERT_TRUE(run.machine().Resume().ok());
  MachineExit exit = run.Finish(kBootBudget);
  EXPECT_GT(run.rv().GuestTime(), time);
  EXPECT_TRUE(absl::StrContains(run.console(), absl::StrCat(kMarker, " nproc=2")));
  EXPECT_EQ(exit.kind, MachineExit::Kind::kPowerOff) << exit.message;
}

TEST_F(RiscvLinuxTest, StopEndsABootingMachinePromptly) {
  GuestRun run(Spec(2));
  ASSERT_TRUE(run.status().ok()) << run.status();
  ASSERT_TRUE(run.machine().Start().ok());
  ASSERT_TRUE(run.WaitForConsole("Linux version", kBootBudget)) << run.console();
  const absl::Time start = absl::Now();
  run.machine().Stop();
  MachineExit exit = run.machine().WaitForExit();
  EXPECT_EQ(exit.kind, MachineExit::Kind::kStopped);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

}  // namespace
}  // namespace vmm
