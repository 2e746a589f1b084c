// Crash isolation and daemon restarts: workers outlive vmmd and are
// re-adopted without disturbing their guests.

#include <signal.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_test_base.h"

namespace vmm::e2e {
namespace {

// The largest N with "tick N" in `out`.
int LastTick(const std::string& out) {
  size_t pos = out.rfind("tick ");
  if (pos == std::string::npos) return -1;
  return atoi(out.c_str() + pos + 5);
}

// Waits until the VM's console shows a tick later than `after`.
bool TicksPast(v1::VmService::Stub* stub, const std::string& vm, int after) {
  ConsoleClient c(stub, vm, false);
  absl::Time deadline = absl::Now() + kTimeout;
  while (absl::Now() < deadline) {
    std::string out = c.output();
    // A line is complete once followed by '\n'.
    size_t end = out.rfind('\n');
    if (end != std::string::npos && LastTick(out.substr(0, end)) > after) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

TEST_F(E2eTest, KilledWorkerCrashesOnlyItsVm) {
  v1::Vm a, b;
  ASSERT_TRUE(CreateVm(stub(), PayloadSpec("iso-a", "ticker")).ok());
  ASSERT_TRUE(CreateVm(stub(), PayloadSpec("iso-b", "ticker")).ok());
  ASSERT_TRUE(StartVm(stub(), "iso-a", &a).ok());
  ASSERT_TRUE(StartVm(stub(), "iso-b", &b).ok());
  ConsoleClient cb(stub(), "iso-b", false);
  ASSERT_TRUE(cb.WaitFor("tick ")) << cb.output();

  ASSERT_EQ(kill(a.status().worker_pid(), SIGKILL), 0);
  v1::Vm crashed = WaitForState(stub(), "iso-a", v1::CRASHED);
  EXPECT_EQ(crashed.status().reason(), v1::WORKER_DIED);
  EXPECT_TRUE(absl::StrContains(crashed.status().message(), "killed by signal 9"))
      << crashed.status().message();

  // The other VM keeps ticking, the daemon keeps answering.
  size_t before = cb.size();
  absl::Time deadline = absl::Now() + kTimeout;
  while (cb.size() == before && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  EXPECT_GT(cb.size(), before);
  v1::Vm still;
  ASSERT_TRUE(GetVm(stub(), "iso-b", &still).ok());
  EXPECT_EQ(still.status().state(), v1::RUNNING);
  EXPECT_EQ(still.status().worker_pid(), b.status().worker_pid());
}

TEST_F(E2eTest, SecondDaemonOnTheSameStateDirIsRefused) {
  Daemon second(dir_);
  // Start() may see the first daemon answer on the shared socket path before
  // the second one has given up; what counts is how the second one ends.
  absl::Status s = second.Start();
  std::string how = s.ok() ? second.Stop(0) : std::string(s.message());
  EXPECT_TRUE(absl::StrContains(how, "exited with status 1")) << how;
  EXPECT_TRUE(absl::StrContains(second.Log(), "in use by another vmmd")) << second.Log();
  // The first one is undisturbed, socket included.
  grpc::ClientContext ctx;
  v1::ListVmsResponse list;
  EXPECT_TRUE(stub()->ListVms(&ctx, v1::ListVmsRequest(), &list).ok());
}

// Restart with SIGTERM (graceful) and with SIGKILL (daemon crash): the same
// VMs are listed, the running worker is re-adopted (same pid, still
// ticking), a worker that died meanwhile shows as CRASHED.
class RestartTest : public E2eTest, public ::testing::WithParamInterface<int> {};

TEST_P(RestartTest, ReadoptsRunningWorkers) {
  v1::Vm live, dying, off;
  ASSERT_TRUE(CreateVm(stub(), PayloadSpec("live", "ticker")).ok());
  ASSERT_TRUE(CreateVm(stub(), PayloadSpec("dying", "ticker")).ok());
  ASSERT_TRUE(CreateVm(stub(), PayloadSpec("off", "ticker"), &off).ok());
  ASSERT_TRUE(StartVm(stub(), "live", &live).ok());
  ASSERT_TRUE(StartVm(stub(), "dying", &dying).ok());
  int last_tick;
  {
    ConsoleClient c(stub(), "live", true);
    ASSERT_TRUE(c.WaitFor("tick 2")) << c.output();
    last_tick = LastTick(c.output());
  }

  std::string how = daemon_->Stop(GetParam());
  if (GetParam() == SIGTERM) {
    EXPECT_EQ(how, "exited with status 0") << daemon_->Log();
  }
  // Workers outlive the daemon.
  ASSERT_EQ(kill(live.status().worker_pid(), 0), 0);
  ASSERT_EQ(kill(dying.status().worker_pid(), SIGKILL), 0);

  absl::Status s = daemon_->Start();
  ASSERT_TRUE(s.ok()) << s;
  grpc::ClientContext ctx;
  v1::ListVmsResponse list;
  ASSERT_TRUE(stub()->ListVms(&ctx, v1::ListVmsRequest(), &list).ok());
  ASSERT_EQ(list.vms_size(), 3);
  EXPECT_EQ(list.vms(1).spec().name(), "live");
  EXPECT_EQ(list.vms(1).id(), live.id());
  EXPECT_EQ(list.vms(1).status().state(), v1::RUNNING);
  EXPECT_EQ(list.vms(1).status().reason(), v1::ADOPTED);
  EXPECT_EQ(list.vms(1).status().worker_pid(), live.status().worker_pid());
  EXPECT_EQ(list.vms(0).spec().name(), "dying");
  EXPECT_EQ(list.vms(0).status().state(), v1::CRASHED);
  EXPECT_EQ(list.vms(0).status().reason(), v1::WORKER_DIED);
  EXPECT_EQ(list.vms(2).spec().name(), "off");
  EXPECT_EQ(list.vms(2).status().state(), v1::CREATED);

  // Undisturbed: the tick count continues past where it was.
  EXPECT_TRUE(TicksPast(stub(), "live", last_tick));
  // And it is fully controllable by the new daemon.
  v1::Vm stopped;
  ASSERT_TRUE(StopVm(stub(), "live", 30000, false, &stopped).ok());
  EXPECT_EQ(stopped.status().state(), v1::SHUTOFF);
  EXPECT_EQ(stopped.status().reason(), v1::USER_STOPPED);
}

INSTANTIATE_TEST_SUITE_P(Signals, RestartTest, ::testing::Values(SIGTERM, SIGKILL),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == SIGTERM ? std::string("Sigterm")
                                                        : std::string("Sigkill");
                         });

}  // namespace
}  // namespace vmm::e2e
