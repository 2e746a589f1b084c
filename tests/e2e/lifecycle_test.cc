// VM lifecycles through the public API of a real vmmd, with real workers,
// the real KVM machine and the payloads of tests/guests.

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_test_base.h"
#include "vmm/worker/files.h"

namespace vmm::e2e {
namespace {

TEST_F(E2eTest, HelloPrintsAndPowersOff) {
  // Subscribe first: the snapshot (empty here) ends, then events follow.
  grpc::ClientContext watch_ctx;
  v1::WatchEventsRequest watch_req;
  auto events = stub()->WatchEvents(&watch_ctx, watch_req);

  v1::Vm created;
  ASSERT_TRUE(CreateVm(stub(), PayloadSpec("hello1", "hello"), &created).ok());
  EXPECT_EQ(created.status().state(), v1::CREATED);
  ASSERT_TRUE(StartVm(stub(), "hello1").ok());
  v1::Vm vm = WaitForState(stub(), "hello1", v1::SHUTOFF);
  EXPECT_EQ(vm.status().reason(), v1::GUEST_SHUTDOWN);
  EXPECT_EQ(vm.status().worker_pid(), 0);

  // The console log holds the whole boot, and a replaying console is
  // refused now that the VM is off.
  absl::StatusOr<std::string> log =
      ReadFileToString(absl::StrCat(daemon_->state_dir(), "/vms/", created.id(), "/console.log"));
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_TRUE(absl::StrContains(*log, "hello from real mode")) << *log;
  EXPECT_TRUE(absl::StrContains(*log, "long mode ok")) << *log;
  EXPECT_TRUE(absl::StrContains(*log, "bye")) << *log;
  ConsoleClient late(stub(), "hello1", true);
  EXPECT_EQ(late.Finish().error_code(), grpc::FAILED_PRECONDITION);

  // Events: CREATED, RUNNING/BOOTED, SHUTOFF/GUEST_SHUTDOWN, in order.
  std::vector<std::pair<v1::State, v1::StateReason>> seen;
  v1::VmEvent e;
  while (seen.size() < 3 && events->Read(&e)) {
    EXPECT_EQ(e.vm_name(), "hello1");
    seen.push_back({e.status().state(), e.status().reason()});
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].first, v1::CREATED);
  EXPECT_EQ(seen[1], std::make_pair(v1::RUNNING, v1::BOOTED));
  EXPECT_EQ(seen[2], std::make_pair(v1::SHUTOFF, v1::GUEST_SHUTDOWN));
  watch_ctx.TryCancel();
}

TEST_F(E2eTest, TickerConsolePauseResumeRebootStopDelete) {
  v1::Vm vm;
  ASSERT_TRUE(CreateVm(stub(), PayloadSpec("tick1", "ticker"), &vm).ok());
  ASSERT_TRUE(StartVm(stub(), "tick1", &vm).ok());
  EXPECT_EQ(vm.status().state(), v1::RUNNING);
  EXPECT_EQ(vm.status().reason(), v1::BOOTED);
  EXPECT_EQ(vm.status().accelerator(), v1::KVM);
  EXPECT_EQ(vm.status().boot_count(), 1u);

  // Two clients both see the ticks; input from one is echoed to both.
  ConsoleClient a(stub(), "tick1", true);
  ConsoleClient b(stub(), "tick1", false);
  ASSERT_TRUE(a.WaitFor("tick 1")) << a.output();
  ASSERT_TRUE(b.WaitFor("tick ")) << b.output();
  ASSERT_TRUE(a.Send("q"));
  EXPECT_TRUE(a.WaitFor("rx: q")) << a.output();
  EXPECT_TRUE(b.WaitFor("rx: q")) << b.output();

  // Paused: no output at all; resumed: ticks again.
  grpc::ClientContext pctx;
  v1::PauseVmRequest preq;
  *preq.mutable_vm() = Ref("tick1");
  ASSERT_TRUE(stub()->PauseVm(&pctx, preq, &vm).ok());
  EXPECT_EQ(vm.status().state(), v1::PAUSED);
  EXPECT_EQ(vm.status().reason(), v1::USER_PAUSED);
  // The worker appends guest output to console.log from the vCPU thread,
  // so the file shows exactly what the guest printed, with no relay delay.
  std::string console_log = absl::StrCat(daemon_->state_dir(), "/vms/", vm.id(), "/console.log");
  absl::StatusOr<std::string> paused_log = ReadFileToString(console_log);
  ASSERT_TRUE(paused_log.ok());
  absl::SleepFor(absl::Seconds(1));  // ~5 ticks if it were running.
  absl::StatusOr<std::string> still_paused_log = ReadFileToString(console_log);
  ASSERT_TRUE(still_paused_log.ok());
  EXPECT_EQ(*still_paused_log, *paused_log);
  size_t before = a.size();
  grpc::ClientContext rctx;
  v1::ResumeVmRequest rreq;
  *rreq.mutable_vm() = Ref("tick1");
  ASSERT_TRUE(stub()->ResumeVm(&rctx, rreq, &vm).ok());
  EXPECT_EQ(vm.status().state(), v1::RUNNING);
  EXPECT_EQ(vm.status().reason(), v1::RESUMED);
  absl::Time resumed_at = absl::Now();
  while (a.size() == before && absl::Now() - resumed_at < kTimeout) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_GT(a.size(), before);

  // Reboot: a fresh machine in the same worker, boot_count 2.
  grpc::ClientContext bctx;
  v1::RebootVmRequest breq;
  *breq.mutable_vm() = Ref("tick1");
  int pid = vm.status().worker_pid();
  ASSERT_TRUE(stub()->RebootVm(&bctx, breq, &vm).ok());
  EXPECT_EQ(vm.status().boot_count(), 2u);
  EXPECT_EQ(vm.status().reason(), v1::REBOOTED);
  EXPECT_EQ(vm.status().worker_pid(), pid);

  // Deleting a running VM is refused.
  grpc::ClientContext dctx;
  v1::DeleteVmRequest dreq;
  *dreq.mutable_vm() = Ref("tick1");
  v1::DeleteVmResponse dresp;
  grpc::Status del = stub()->DeleteVm(&dctx, dreq, &dresp);
  EXPECT_EQ(del.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_EQ(del.error_message(), "vm tick1 is RUNNING; StopVm it first");

  // Graceful stop: the ticker obeys.
  ASSERT_TRUE(StopVm(stub(), "tick1", 30000, false, &vm).ok());
  EXPECT_EQ(vm.status().state(), v1::SHUTOFF);
  EXPECT_EQ(vm.status().reason(), v1::USER_STOPPED);
  EXPECT_TRUE(a.WaitFor("poweroff requested")) << a.output();
  // The console streams end with the VM, cleanly.
  grpc::Status a_end = a.Finish();
  EXPECT_TRUE(a_end.ok()) << a_end.error_code() << " " << a_end.error_message();
  EXPECT_TRUE(b.Finish().ok());

  grpc::ClientContext dctx2;
  ASSERT_TRUE(stub()->DeleteVm(&dctx2, dreq, &dresp).ok());
  EXPECT_NE(access(absl::StrCat(daemon_->state_dir(), "/vms/", vm.id()).c_str(), F_OK), 0);
  v1::Vm gone;
  EXPECT_EQ(GetVm(stub(), "tick1", &gone).error_code(), grpc::NOT_FOUND);
}

TEST_F(E2eTest, StubbornIsForcedAfterTheDeadline) {
  ASSERT_TRUE(CreateVm(stub(), PayloadSpec("stub1", "stubborn")).ok());
  ASSERT_TRUE(StartVm(stub(), "stub1").ok());
  ConsoleClient c(stub(), "stub1", true);
  ASSERT_TRUE(c.WaitFor("tick ")) << c.output();
  v1::Vm vm;
  absl::Time start = absl::Now();
  ASSERT_TRUE(StopVm(stub(), "stub1", 1500, false, &vm).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(1500));
  EXPECT_EQ(vm.status().state(), v1::SHUTOFF);
  EXPECT_EQ(vm.status().reason(), v1::FORCED_STOP);
  EXPECT_TRUE(c.WaitFor("ignoring poweroff request")) << c.output();
}

TEST_F(E2eTest, ForceStopIsImmediate) {
  ASSERT_TRUE(CreateVm(stub(), PayloadSpec("f1", "ticker")).ok());
  ASSERT_TRUE(StartVm(stub(), "f1").ok());
  v1::Vm vm;
  ASSERT_TRUE(StopVm(stub(), "f1", 0, true, &vm).ok());
  EXPECT_EQ(vm.status().state(), v1::SHUTOFF);
  EXPECT_EQ(vm.status().reason(), v1::FORCED_STOP);
  // And it starts again.
  ASSERT_TRUE(StartVm(stub(), "f1", &vm).ok());
  EXPECT_EQ(vm.status().state(), v1::RUNNING);
}

TEST_F(E2eTest, TripleFaultCrashesTheGuest) {
  ASSERT_TRUE(CreateVm(stub(), PayloadSpec("tf1", "triple_fault")).ok());
  ASSERT_TRUE(StartVm(stub(), "tf1").ok());
  v1::Vm vm = WaitForState(stub(), "tf1", v1::CRASHED);
  EXPECT_EQ(vm.status().reason(), v1::GUEST_CRASHED);
  EXPECT_TRUE(absl::StrContains(vm.status().message(), "triple fault")) << vm.status().message();
}

TEST_F(E2eTest, SmpBringsUpAllCpus) {
  ASSERT_TRUE(CreateVm(stub(), PayloadSpec("smp1", "smp", 2)).ok());
  ASSERT_TRUE(StartVm(stub(), "smp1").ok());
  v1::Vm vm = WaitForState(stub(), "smp1", v1::SHUTOFF);
  EXPECT_EQ(vm.status().reason(), v1::GUEST_SHUTDOWN);
  absl::StatusOr<std::string> log =
      ReadFileToString(absl::StrCat(daemon_->state_dir(), "/vms/", vm.id(), "/console.log"));
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE(absl::StrContains(*log, "all 2 cpus up")) << *log;
}

}  // namespace
}  // namespace vmm::e2e
