#include "vmm/worker/vm_runner.h"

#include <future>
#include <thread>

#include "gtest/gtest.h"
#include "vmm/worker/console_buffer.h"
#include "vmm/worker/fake_machine.h"

namespace vmm::worker {
namespace {

class VmRunnerTest : public ::testing::Test {
 protected:
  VmRunnerTest()
      : console_(4096),
        runner_(
            MachineSpec{},
            [this](const MachineSpec&, ConsoleOutput out) {
              return BuildFakeMachine(&control_, std::move(out));
            },
            [this](absl::string_view b) { console_.Append(b); }) {}

  // Starts Run() on a thread and waits for the first boot.
  std::future<RunnerExit> StartAndWaitRunning() {
    auto result = std::async(std::launch::async, [this] { return runner_.Run(); });
    WaitFor(RunnerStatus::Phase::kRunning, 1);
    return result;
  }

  void WaitFor(RunnerStatus::Phase phase, uint32_t boot_count) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    RunnerStatus st = runner_.status();
    while ((st.phase != phase || st.boot_count != boot_count) && absl::Now() < deadline) {
      st = runner_.WaitForChange(st.version, absl::Milliseconds(100));
    }
    ASSERT_EQ(st.phase, phase);
    ASSERT_EQ(st.boot_count, boot_count);
  }

  void GuestExits(MachineExit::Kind kind, std::string message) {
    absl::MutexLock lock(&control_.mu);
    control_.guest_exit_value = {kind, std::move(message)};
    control_.guest_exit = true;
  }

  FakeMachineControl control_;
  ConsoleBuffer console_;
  VmRunner runner_;
};

TEST_F(VmRunnerTest, GuestPowerOffEndsRun) {
  auto result = StartAndWaitRunning();
  EXPECT_EQ(runner_.status().accel, AccelKind::kKvm);
  GuestExits(MachineExit::Kind::kPowerOff, "bye");
  RunnerExit exit = result.get();
  EXPECT_EQ(exit.kind, RunnerExit::Kind::kPowerOff);
  EXPECT_EQ(exit.boot_count, 1u);
  EXPECT_EQ(runner_.status().phase, RunnerStatus::Phase::kExiting);
}

TEST_F(VmRunnerTest, GuestRebootBuildsAFreshMachine) {
  auto result = StartAndWaitRunning();
  GuestExits(MachineExit::Kind::kReboot, "reset");
  WaitFor(RunnerStatus::Phase::kRunning, 2);
  ASSERT_TRUE(runner_.Reboot().ok());
  WaitFor(RunnerStatus::Phase::kRunning, 3);
  runner_.Kill();
  EXPECT_EQ(result.get().kind, RunnerExit::Kind::kStopped);
  absl::MutexLock lock(&control_.mu);
  EXPECT_EQ(control_.built, 3);
}

TEST_F(VmRunnerTest, CountersOfEveryDeviceSumOverReboots) {
  auto result = StartAndWaitRunning();
  auto report = [this](uint64_t disk_reads, uint64_t nic_rx, uint64_t connections) {
    absl::MutexLock lock(&control_.mu);
    control_.counters.disks = {DiskCounterValues{}};
    control_.counters.disks[0].read_bytes = disk_reads;
    NicCounterValues nic;
    nic.tap = "tap0";
    nic.rx_bytes = nic_rx;
    nic.tx_packets = nic_rx / 10;
    control_.net.nics = {nic};
    control_.net.has_vsock = true;
    control_.net.vsock = {connections, nic_rx * 2, 0};
  };
  report(10, 100, 2);
  MachineCounters c = runner_.Counters();
  ASSERT_EQ(c.nics.size(), 1u);
  EXPECT_EQ(c.nics[0].rx_bytes, 100u);
  EXPECT_EQ(c.vsock.connections, 2u);

  // The first machine's final values join the second machine's own.
  GuestExits(MachineExit::Kind::kReboot, "reset");
  WaitFor(RunnerStatus::Phase::kRunning, 2);
  report(5, 30, 1);
  c = runner_.Counters();
  ASSERT_EQ(c.disks.size(), 1u);
  EXPECT_EQ(c.disks[0].read_bytes, 15u);
  ASSERT_EQ(c.nics.size(), 1u);
  EXPECT_EQ(c.nics[0].tap, "tap0");
  EXPECT_EQ(c.nics[0].rx_bytes, 130u);
  EXPECT_EQ(c.nics[0].tx_packets, 13u);
  EXPECT_TRUE(c.has_vsock);
  EXPECT_EQ(c.vsock.rx_bytes, 260u);
  EXPECT_EQ(c.vsock.connections, 1u);  // Open now: not summed.

  // After the end the totals stay; no connection is open.
  runner_.Kill();
  EXPECT_EQ(result.get().kind, RunnerExit::Kind::kStopped);
  c = runner_.Counters();
  ASSERT_EQ(c.nics.size(), 1u);
  EXPECT_EQ(c.nics[0].rx_bytes, 130u);
  EXPECT_EQ(c.vsock.connections, 0u);
}

TEST_F(VmRunnerTest, CrashCarriesTheMessage) {
  auto result = StartAndWaitRunning();
  GuestExits(MachineExit::Kind::kCrash, "triple fault at rip=0x1234");
  RunnerExit exit = result.get();
  EXPECT_EQ(exit.kind, RunnerExit::Kind::kGuestCrash);
  EXPECT_EQ(exit.message, "triple fault at rip=0x1234");
}

TEST_F(VmRunnerTest, BuildFailureIsStartFailed) {
  {
    absl::MutexLock lock(&control_.mu);
    control_.fail_build = "payload /nope: No such file or directory";
  }
  RunnerExit exit = runner_.Run();
  EXPECT_EQ(exit.kind, RunnerExit::Kind::kStartFailed);
  EXPECT_EQ(exit.message, "payload /nope: No such file or directory");
  EXPECT_EQ(exit.boot_count, 0u);
}

TEST_F(VmRunnerTest, PauseResumeAndPowerOffWhilePaused) {
  auto result = StartAndWaitRunning();
  ASSERT_TRUE(runner_.Pause().ok());
  EXPECT_EQ(runner_.status().phase, RunnerStatus::Phase::kPaused);
  {
    absl::MutexLock lock(&control_.mu);
    EXPECT_TRUE(control_.paused);
  }
  ASSERT_TRUE(runner_.Resume().ok());
  EXPECT_EQ(runner_.status().phase, RunnerStatus::Phase::kRunning);
  ASSERT_TRUE(runner_.Pause().ok());
  // A paused guest cannot act on the request: the runner resumes it first.
  ASSERT_TRUE(runner_.RequestPowerOff().ok());
  EXPECT_EQ(result.get().kind, RunnerExit::Kind::kPowerOff);
  absl::MutexLock lock(&control_.mu);
  EXPECT_FALSE(control_.paused);
}

TEST_F(VmRunnerTest, IgnoredPowerOffThenKill) {
  {
    absl::MutexLock lock(&control_.mu);
    control_.obey_power_off = false;
  }
  auto result = StartAndWaitRunning();
  ASSERT_TRUE(runner_.RequestPowerOff().ok());
  EXPECT_EQ(result.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  runner_.Kill();
  EXPECT_EQ(result.get().kind, RunnerExit::Kind::kStopped);
}

TEST_F(VmRunnerTest, ControlCallsWithoutAMachineFail) {
  EXPECT_TRUE(absl::IsFailedPrecondition(runner_.Pause()));
  EXPECT_TRUE(absl::IsFailedPrecondition(runner_.Reboot()));
  runner_.Kill();
  EXPECT_EQ(runner_.Run().kind, RunnerExit::Kind::kStopped);
}

}  // namespace
}  // namespace vmm::worker
