// The manager with real worker processes (the scripted worker, see
// vmm/worker/scripted_machine.h), real sockets and a real state directory.

#include "vmm/manager/vm_manager.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "vmm/worker/files.h"
#include "vmm/worker/scoped_temp_dir.h"

namespace vmm::manager {
namespace {

constexpr absl::Duration kWait = absl::Seconds(30);

v1::VmRef Ref(const std::string& name) {
  v1::VmRef r;
  r.set_name(name);
  return r;
}

class VmManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    for (const char* p : {"hello", "ticker", "stubborn", "triple_fault"}) {
      ASSERT_TRUE(AtomicWriteFile(dir_ + "/" + p + ".bin", "\xf4").ok());
    }
    Reopen();
  }
  void TearDown() override {
    // Leave no worker behind, whatever the test did.
    if (manager_ == nullptr) Reopen();
    for (const v1::Vm& vm : manager_->List()) {
      if (IsActive(vm.status().state())) {
        manager_->Stop(Ref(vm.spec().name()), absl::ZeroDuration(), true).IgnoreError();
      }
    }
  }

  void Reopen() {
    manager_.reset();
    ManagerOptions o;
    o.state_dir = dir_ + "/state";
    o.worker_binary = std::string(getenv("TEST_SRCDIR")) + "/vmm/vmm/worker/scripted-worker";
    o.kill_grace = absl::Seconds(2);
    absl::StatusOr<std::unique_ptr<VmManager>> m = VmManager::Open(o);
    ASSERT_TRUE(m.ok()) << m.status();
    manager_ = std::move(m).value();
  }

  v1::VmSpec Spec(const std::string& name, const std::string& payload) {
    v1::VmSpec spec;
    spec.set_name(name);
    spec.set_arch(v1::X86_64);
    spec.set_vcpus(1);
    spec.set_memory_mib(16);
    spec.mutable_boot()->mutable_payload()->set_path(dir_ + "/" + payload + ".bin");
    return spec;
  }

  v1::Vm CreateAndStart(const std::string& name, const std::string& payload) {
    EXPECT_TRUE(manager_->Create(Spec(name, payload)).ok());
    absl::StatusOr<v1::Vm> vm = manager_->Start(Ref(name));
    EXPECT_TRUE(vm.ok()) << vm.status();
    return vm.ok() ? *vm : v1::Vm();
  }

  // Polls until the VM is in `state`; returns its last observed status.
  v1::VmStatus WaitState(const std::string& name, v1::State state) {
    absl::Time deadline = absl::Now() + kWait;
    v1::VmStatus st;
    while (absl::Now() < deadline) {
      absl::StatusOr<v1::Vm> vm = manager_->Get(Ref(name));
      if (vm.ok()) {
        st = vm->status();
        if (st.state() == state) return st;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    ADD_FAILURE() << name << " never reached " << v1::State_Name(state) << "; last "
                  << st.ShortDebugString();
    return st;
  }

  ScopedTempDir temp_{"vm_manager_test"};
  std::string dir_;
  std::unique_ptr<VmManager> manager_;
};

TEST_F(VmManagerTest, CreateListGetDeleteAndPersist) {
  absl::StatusOr<v1::Vm> a = manager_->Create(Spec("a", "ticker"));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->id().size(), 16u);
  EXPECT_EQ(a->status().state(), v1::CREATED);
  EXPECT_EQ(a->status().reason(), v1::DEFINED);
  absl::Status dup = manager_->Create(Spec("a", "hello")).status();
  EXPECT_TRUE(absl::IsAlreadyExists(dup)) << dup;
  ASSERT_TRUE(manager_->Create(Spec("b", "hello")).ok());
  v1::VmRef by_id;
  by_id.set_id(a->id());
  EXPECT_EQ(manager_->Get(by_id)->spec().name(), "a");
  EXPECT_TRUE(absl::IsNotFound(manager_->Get(Ref("nope")).status()));

  Reopen();
  std::vector<v1::Vm> vms = manager_->List();
  ASSERT_EQ(vms.size(), 2u);
  EXPECT_EQ(vms[0].id(), a->id());
  EXPECT_EQ(vms[0].spec().boot().payload().path(), dir_ + "/ticker.bin");

  ASSERT_TRUE(manager_->Delete(Ref("a")).ok());
  EXPECT_NE(access((dir_ + "/state/vms/" + a->id()).c_str(), F_OK), 0);
  EXPECT_TRUE(absl::IsNotFound(manager_->Get(Ref("a")).status()));
  // The name is free again.
  EXPECT_TRUE(manager_->Create(Spec("a", "hello")).ok());
}

TEST_F(VmManagerTest, WrongStateIsFailedPrecondition) {
  ASSERT_TRUE(manager_->Create(Spec("a", "ticker")).ok());
  absl::Status s = manager_->Pause(Ref("a")).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_EQ(s.message(), "vm a is CREATED; StartVm it first");
  EXPECT_TRUE(
      absl::IsFailedPrecondition(manager_->Stop(Ref("a"), absl::Seconds(1), false).status()));
}

TEST_F(VmManagerTest, HelloPowersOffAndEventsShowIt) {
  ASSERT_TRUE(manager_->Create(Spec("h", "hello")).ok());
  absl::StatusOr<VmManager::Watch> watch = manager_->WatchEvents(nullptr);
  ASSERT_TRUE(watch.ok());
  ASSERT_EQ(watch->snapshot.size(), 1u);
  ASSERT_TRUE(manager_->Start(Ref("h")).ok());
  v1::VmStatus st = WaitState("h", v1::SHUTOFF);
  EXPECT_EQ(st.reason(), v1::GUEST_SHUTDOWN);
  EXPECT_EQ(st.worker_pid(), 0);
  std::vector<v1::State> seen;
  v1::VmEvent e;
  bool closed;
  while (watch->subscription->Next(&e, absl::ZeroDuration(), &closed)) {
    seen.push_back(e.status().state());
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], v1::RUNNING);
  EXPECT_EQ(seen[1], v1::SHUTOFF);
  absl::StatusOr<std::string> log =
      ReadFileToString(dir_ + "/state/vms/" + manager_->Get(Ref("h"))->id() + "/console.log");
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE(absl::StrContains(*log, "Hello")) << *log;
  // A stopped VM starts again.
  ASSERT_TRUE(manager_->Start(Ref("h")).ok());
  WaitState("h", v1::SHUTOFF);
}

// A worker that powers off within milliseconds of its spawn races the
// manager's first status watch: it can close its control socket between the
// channel's connect and the stream's start. Every start must still settle.
TEST_F(VmManagerTest, WorkerThatEndsAtOnceIsAlwaysSeen) {
  ManagerOptions o;
  ASSERT_TRUE(manager_->Create(Spec("quick", "hello")).ok());
  for (int i = 0; i < 40; ++i) {
    absl::Time t0 = absl::Now();
    absl::StatusOr<v1::Vm> vm = manager_->Start(Ref("quick"));
    ASSERT_TRUE(vm.ok()) << "start " << i << ": " << vm.status();
    EXPECT_LT(absl::Now() - t0, o.start_timeout / 2) << "start " << i;
    v1::VmStatus st = WaitState("quick", v1::SHUTOFF);
    ASSERT_EQ(st.reason(), v1::GUEST_SHUTDOWN) << "start " << i << ": " << st.ShortDebugString();
  }
}

TEST_F(VmManagerTest, TickerPauseResumeRebootConsoleStop) {
  v1::Vm vm = CreateAndStart("t", "ticker");
  EXPECT_EQ(vm.status().state(), v1::RUNNING);
  EXPECT_EQ(vm.status().reason(), v1::BOOTED);
  EXPECT_EQ(vm.status().accelerator(), v1::KVM);
  EXPECT_EQ(vm.status().boot_count(), 1u);
  EXPECT_GT(vm.status().worker_pid(), 0);

  absl::StatusOr<std::unique_ptr<worker::ConsoleSession>> console =
      manager_->OpenConsole(Ref("t"), true);
  ASSERT_TRUE(console.ok()) << console.status();
  std::string out;
  while (!absl::StrContains(out, "tick 2")) {
    std::string chunk;
    ASSERT_TRUE((*console)->Read(&chunk));
    out += chunk;
  }

  absl::StatusOr<v1::Vm> paused = manager_->Pause(Ref("t"));
  ASSERT_TRUE(paused.ok()) << paused.status();
  EXPECT_EQ(paused->status().state(), v1::PAUSED);
  EXPECT_EQ(paused->status().reason(), v1::USER_PAUSED);
  absl::StatusOr<v1::Vm> resumed = manager_->Resume(Ref("t"));
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->status().reason(), v1::RESUMED);

  absl::StatusOr<v1::Vm> rebooted = manager_->Reboot(Ref("t"));
  ASSERT_TRUE(rebooted.ok()) << rebooted.status();
  EXPECT_EQ(rebooted->status().boot_count(), 2u);
  EXPECT_EQ(rebooted->status().reason(), v1::REBOOTED);
  EXPECT_EQ(rebooted->status().worker_pid(), vm.status().worker_pid());

  EXPECT_TRUE(absl::IsFailedPrecondition(manager_->Delete(Ref("t"))));
  absl::StatusOr<v1::Vm> stopped = manager_->Stop(Ref("t"), absl::Seconds(20), false);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->status().state(), v1::SHUTOFF);
  EXPECT_EQ(stopped->status().reason(), v1::USER_STOPPED);
  EXPECT_TRUE(manager_->Delete(Ref("t")).ok());
}

TEST_F(VmManagerTest, StubbornIsForcedAfterTheDeadline) {
  CreateAndStart("s", "stubborn");
  absl::Time start = absl::Now();
  absl::StatusOr<v1::Vm> stopped = manager_->Stop(Ref("s"), absl::Milliseconds(300), false);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  EXPECT_EQ(stopped->status().state(), v1::SHUTOFF);
  EXPECT_EQ(stopped->status().reason(), v1::FORCED_STOP);
}

TEST_F(VmManagerTest, KilledWorkerCrashesOnlyItsVm) {
  v1::Vm a = CreateAndStart("a", "ticker");
  v1::Vm b = CreateAndStart("b", "ticker");
  ASSERT_EQ(kill(a.status().worker_pid(), SIGKILL), 0);
  v1::VmStatus st = WaitState("a", v1::CRASHED);
  EXPECT_EQ(st.reason(), v1::WORKER_DIED);
  EXPECT_EQ(st.message(), "worker killed by signal 9");
  EXPECT_EQ(manager_->Get(Ref("b"))->status().state(), v1::RUNNING);
  // A crashed VM can be started again.
  EXPECT_TRUE(manager_->Start(Ref("a")).ok());
}

TEST_F(VmManagerTest, GuestCrashAndStartFailure) {
  CreateAndStart("c", "triple_fault");
  v1::VmStatus st = WaitState("c", v1::CRASHED);
  EXPECT_EQ(st.reason(), v1::GUEST_CRASHED);
  EXPECT_EQ(st.message(), "triple fault");

  v1::VmSpec spec = Spec("m", "ticker");
  spec.mutable_boot()->mutable_payload()->set_path(dir_ + "/vanished.bin");
  ASSERT_TRUE(manager_->Create(spec).ok());
  absl::Status s = manager_->Start(Ref("m")).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "vanished.bin")) << s;
  st = manager_->Get(Ref("m"))->status();
  EXPECT_EQ(st.state(), v1::CRASHED);
  EXPECT_EQ(st.reason(), v1::START_FAILED);
}

TEST_F(VmManagerTest, RestartReadoptsLiveWorkersAndBuriesDeadOnes) {
  v1::Vm live = CreateAndStart("live", "ticker");
  v1::Vm dead = CreateAndStart("dead", "ticker");
  v1::Vm paused = CreateAndStart("paused", "ticker");
  ASSERT_TRUE(manager_->Pause(Ref("paused")).ok());
  manager_->Shutdown();
  manager_.reset();
  // Workers survive the daemon.
  ASSERT_EQ(kill(live.status().worker_pid(), 0), 0);
  ASSERT_EQ(kill(dead.status().worker_pid(), SIGKILL), 0);
  absl::SleepFor(absl::Milliseconds(100));

  Reopen();
  v1::VmStatus st = manager_->Get(Ref("live"))->status();
  EXPECT_EQ(st.state(), v1::RUNNING);
  EXPECT_EQ(st.reason(), v1::ADOPTED);
  EXPECT_EQ(st.worker_pid(), live.status().worker_pid());
  st = manager_->Get(Ref("paused"))->status();
  EXPECT_EQ(st.state(), v1::PAUSED);
  EXPECT_EQ(st.reason(), v1::ADOPTED);
  st = manager_->Get(Ref("dead"))->status();
  EXPECT_EQ(st.state(), v1::CRASHED);
  EXPECT_EQ(st.reason(), v1::WORKER_DIED);

  // The adopted worker is fully controllable, and its end is observed
  // through the pidfd and its exit record (it is not our child).
  ASSERT_TRUE(manager_->Resume(Ref("paused")).ok());
  absl::StatusOr<v1::Vm> stopped = manager_->Stop(Ref("live"), absl::Seconds(20), false);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->status().reason(), v1::USER_STOPPED);
  ASSERT_EQ(kill(paused.status().worker_pid(), SIGKILL), 0);
  st = WaitState("paused", v1::CRASHED);
  EXPECT_EQ(st.reason(), v1::WORKER_DIED);
}

}  // namespace
}  // namespace vmm::manager
