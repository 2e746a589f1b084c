// RunControl with vCPU threads that "run" by waiting for a kick, the way a
// vCPU blocked in KVM_RUN waits for a signal. Real threads, real timing; the
// only stand-in is the Vcpu (the KVM-backed path is covered end to end by
// tests/machine:payload_boot_test).
#include "vmm/machine/run_control.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace vmm {
namespace {

class KickableVcpu : public Vcpu {
 public:
  explicit KickableVcpu(uint32_t id) : id_(id) {}
  uint32_t id() const override { return id_; }
  absl::StatusOr<VcpuExit> Run() override {
    absl::MutexLock lock(&mu_);
    // "Guest code" runs until kicked.
    in_guest_.store(true);
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](KickableVcpu* v) ABSL_EXCLUSIVE_LOCKS_REQUIRED(v->mu_) {
                               return v->kicked_ && !v->deaf_;
                             },
                             this),
                         absl::Seconds(30));
    in_guest_.store(false);
    kicked_ = false;
    runs_.fetch_add(1);
    VcpuExit exit;
    exit.kind = VcpuExit::Kind::kInterrupted;
    return exit;
  }
  void Kick() override {
    absl::MutexLock lock(&mu_);
    if (kicks_to_lose_ > 0) {
      --kicks_to_lose_;
      return;
    }
    kicked_ = true;
  }
  // The next `n` kicks get lost, like a signal a nested KVM never acts on.
  void LoseKicks(int n) {
    absl::MutexLock lock(&mu_);
    kicks_to_lose_ = n;
  }
  std::string DescribeState() override { return "fake"; }
  // A deaf vCPU ignores kicks, like one stuck in a slow device access.
  void SetDeaf(bool deaf) {
    absl::MutexLock lock(&mu_);
    deaf_ = deaf;
  }
  bool in_guest() const { return in_guest_.load(); }
  int runs() const { return runs_.load(); }

 private:
  const uint32_t id_;
  absl::Mutex mu_;
  bool kicked_ ABSL_GUARDED_BY(mu_) = false;
  bool deaf_ ABSL_GUARDED_BY(mu_) = false;
  int kicks_to_lose_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<bool> in_guest_{false};
  std::atomic<int> runs_{0};
};

class RunControlTest : public ::testing::Test {
 protected:
  void StartThreads(int n) {
    std::vector<Vcpu*> raw;
    for (int i = 0; i < n; ++i) {
      vcpus_.push_back(std::make_unique<KickableVcpu>(i));
      raw.push_back(vcpus_.back().get());
    }
    control_ = std::make_unique<RunControl>(raw);
    for (auto& v : vcpus_) {
      KickableVcpu* vcpu = v.get();
      threads_.emplace_back([this, vcpu] {
        while (control_->WaitUntilRunnable()) {
          auto exit = vcpu->Run();
          (void)exit;
        }
        control_->ThreadExited();
      });
    }
  }
  void Join() {
    for (auto& t : threads_) t.join();
  }

  std::vector<std::unique_ptr<KickableVcpu>> vcpus_;
  std::unique_ptr<RunControl> control_;
  std::vector<std::thread> threads_;
};

TEST_F(RunControlTest, PauseReturnsWithNoVcpuInGuest) {
  StartThreads(3);
  absl::SleepFor(absl::Milliseconds(20));
  ASSERT_TRUE(control_->Pause().ok());
  for (auto& v : vcpus_) EXPECT_FALSE(v->in_guest());
  std::vector<int> runs;
  for (auto& v : vcpus_) runs.push_back(v->runs());
  absl::SleepFor(absl::Milliseconds(50));
  for (size_t i = 0; i < vcpus_.size(); ++i) EXPECT_EQ(vcpus_[i]->runs(), runs[i]);
  ASSERT_TRUE(control_->Resume().ok());
  // Running again: a kick makes progress.
  absl::SleepFor(absl::Milliseconds(20));
  vcpus_[0]->Kick();
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_GT(vcpus_[0]->runs(), runs[0]);
  control_->RequestExit({MachineExit::Kind::kStopped, "test"});
  Join();
}

TEST_F(RunControlTest, FirstExitReasonWins) {
  StartThreads(2);
  control_->RequestExit({MachineExit::Kind::kPowerOff, "guest"});
  control_->RequestExit({MachineExit::Kind::kStopped, "host"});
  MachineExit exit = control_->WaitForExitReason();
  EXPECT_EQ(exit.kind, MachineExit::Kind::kPowerOff);
  EXPECT_EQ(exit.message, "guest");
  Join();
  EXPECT_FALSE(control_->Pause().ok());
  EXPECT_FALSE(control_->Resume().ok());
}

TEST_F(RunControlTest, ExitWhilePausedReleasesParkedThreads) {
  StartThreads(2);
  ASSERT_TRUE(control_->Pause().ok());
  control_->RequestExit({MachineExit::Kind::kStopped, "host"});
  Join();
  EXPECT_EQ(control_->exit_reason()->kind, MachineExit::Kind::kStopped);
}

TEST_F(RunControlTest, ResumeDuringPauseAbortsThePause) {
  StartThreads(2);
  absl::SleepFor(absl::Milliseconds(20));
  vcpus_[1]->SetDeaf(true);
  absl::Status pause_status;
  absl::Notification paused;
  std::thread pauser([&] {
    pause_status = control_->Pause();
    paused.Notify();
  });
  // Pause cannot finish while vCPU 1 stays in "guest code".
  EXPECT_FALSE(paused.WaitForNotificationWithTimeout(absl::Milliseconds(100)));
  ASSERT_TRUE(control_->Resume().ok());
  pauser.join();
  EXPECT_EQ(pause_status.code(), absl::StatusCode::kAborted) << pause_status;
  vcpus_[1]->SetDeaf(false);
  control_->RequestExit({MachineExit::Kind::kStopped, "host"});
  Join();
}

TEST_F(RunControlTest, RekicksAVcpuThatLostItsKick) {
  StartThreads(2);
  absl::SleepFor(absl::Milliseconds(20));
  vcpus_[1]->LoseKicks(2);
  control_->RequestExit({MachineExit::Kind::kPowerOff, "guest"});
  int rekicks = 0;
  EXPECT_TRUE(control_->WaitForThreadsExited(2, absl::Seconds(20), absl::Milliseconds(10), &rekicks));
  EXPECT_GE(rekicks, 2) << "the exit kick and the first re-kick were lost";
  Join();
}

TEST_F(RunControlTest, WaitForThreadsExitedGivesUpOnAStuckVcpu) {
  StartThreads(2);
  absl::SleepFor(absl::Milliseconds(20));
  vcpus_[0]->SetDeaf(true);  // Stuck: no kick gets it out.
  control_->RequestExit({MachineExit::Kind::kStopped, "host"});
  int rekicks = 0;
  EXPECT_FALSE(control_->WaitForThreadsExited(2, absl::Milliseconds(100), absl::Milliseconds(10),
                                              &rekicks));
  EXPECT_GE(rekicks, 3);
  vcpus_[0]->SetDeaf(false);
  EXPECT_TRUE(control_->WaitForThreadsExited(2, absl::Seconds(20), absl::Milliseconds(10), &rekicks));
  Join();
}

TEST_F(RunControlTest, PauseCountsExitedThreads) {
  // A thread that has already ended must not make Pause() wait forever.
  StartThreads(1);
  control_->RequestExit({MachineExit::Kind::kCrash, "boom"});
  Join();
  EXPECT_FALSE(control_->Pause().ok());
}

}  // namespace
}  // namespace vmm
