// Runs the worker body in-process with ScriptedMachine and drives it through
// its real control socket with the daemon's client.

#include "vmm/worker/worker.h"

#include <google/protobuf/text_format.h>
#include <stdlib.h>
#include <unistd.h>

#include <future>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "proto/vmm/v1/vmm.pb.h"
#include "vmm/worker/control.pb.h"
#include "vmm/worker/control_client.h"
#include "vmm/worker/files.h"
#include "vmm/worker/layout.h"
#include "vmm/worker/scoped_temp_dir.h"
#include "vmm/worker/scripted_machine.h"

namespace vmm::worker {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(20);

class WorkerTest : public ::testing::Test {
 protected:
  void Start(const std::string& script) {
    dir_ = temp_.path();
    std::string payload = dir_ + "/" + script + ".bin";
    ASSERT_TRUE(AtomicWriteFile(payload, "\xf4").ok());
    v1::VmSpec spec;
    spec.set_name("t");
    spec.set_arch(v1::X86_64);
    spec.set_vcpus(1);
    spec.set_memory_mib(16);
    spec.mutable_boot()->mutable_payload()->set_path(payload);
    std::string text;
    google::protobuf::TextFormat::PrintToString(spec, &text);
    ASSERT_TRUE(AtomicWriteFile(dir_ + "/" + kSpecFile, text).ok());
    result_ =
        std::async(std::launch::async, [this] { return RunWorker(dir_, BuildScriptedMachine); });
    client_ = WorkerClient::Create(dir_ + "/" + kControlSocket);
  }

  // A failed assertion must not leave RunWorker running (the future's
  // destructor would wait for it forever).
  void TearDown() override {
    if (result_.valid() && client_ != nullptr) {
      client_->Kill(kTimeout).IgnoreError();
      result_.wait();
    }
  }

  // Control calls need a machine: wait until the first boot runs.
  void WaitRunning() {
    absl::Time deadline = absl::Now() + kTimeout;
    while (absl::Now() < deadline) {
      absl::StatusOr<WorkerState> st = client_->GetStatus(kTimeout);
      if (st.ok() && st->phase == WorkerState::Phase::kRunning) return;
      absl::SleepFor(absl::Milliseconds(10));
    }
    ADD_FAILURE() << "worker never reported RUNNING";
  }

  ExitRecord ReadExit() {
    ExitRecord record;
    absl::StatusOr<std::string> text = ReadFileToString(dir_ + "/" + kExitFile);
    EXPECT_TRUE(text.ok()) << text.status();
    if (text.ok()) google::protobuf::TextFormat::ParseFromString(*text, &record);
    return record;
  }

  // Reads from `session` until `needle` appears in the collected output.
  static bool ReadUntil(ConsoleSession* session, std::string* seen, absl::string_view needle) {
    while (!absl::StrContains(*seen, needle)) {
      std::string chunk;
      if (!session->Read(&chunk)) return false;
      *seen += chunk;
    }
    return true;
  }

  ScopedTempDir temp_{"worker_test"};
  std::string dir_;
  std::future<int> result_;
  std::unique_ptr<WorkerClient> client_;
};

TEST_F(WorkerTest, TickerConsolePauseRebootPowerOff) {
  Start("ticker");
  absl::StatusOr<WorkerState> st = client_->GetStatus(kTimeout);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->pid, getpid());
  absl::StatusOr<std::unique_ptr<StatusWatch>> watch = client_->WatchStatus(kTimeout);
  ASSERT_TRUE(watch.ok()) << watch.status();
  WorkerState ws;
  ASSERT_TRUE((*watch)->Next(&ws));
  while (ws.phase != WorkerState::Phase::kRunning) ASSERT_TRUE((*watch)->Next(&ws));
  EXPECT_EQ(ws.boot_count, 1u);
  EXPECT_EQ(ws.accel, AccelKind::kKvm);

  // Two consoles both see output; input from the first echoes.
  auto a = client_->OpenConsole(false, kTimeout);
  auto b = client_->OpenConsole(true, kTimeout);
  ASSERT_TRUE(a.ok() && b.ok());
  std::string seen_a, seen_b;
  ASSERT_TRUE(ReadUntil(a->get(), &seen_a, "tick "));
  ASSERT_TRUE(ReadUntil(b->get(), &seen_b, "tick "));
  ASSERT_TRUE((*a)->Write("x"));
  ASSERT_TRUE(ReadUntil(b->get(), &seen_b, "rx: x"));
  // b does not hold the input: its bytes are dropped.
  ASSERT_TRUE((*b)->Write("y"));
  ASSERT_TRUE((*a)->Write("z"));
  ASSERT_TRUE(ReadUntil(a->get(), &seen_a, "rx: z"));
  EXPECT_FALSE(absl::StrContains(seen_a, "rx: y"));

  ASSERT_TRUE(client_->Pause(kTimeout).ok());
  while (ws.phase != WorkerState::Phase::kPaused) ASSERT_TRUE((*watch)->Next(&ws));
  ASSERT_TRUE(client_->Resume(kTimeout).ok());
  ASSERT_TRUE(client_->Reboot(kTimeout).ok());
  while (ws.boot_count != 2 || ws.phase != WorkerState::Phase::kRunning) {
    ASSERT_TRUE((*watch)->Next(&ws));
  }

  ASSERT_TRUE(client_->RequestPowerOff(kTimeout).ok());
  EXPECT_EQ(result_.get(), kExitPowerOff);
  ExitRecord exit = ReadExit();
  EXPECT_EQ(exit.kind(), ExitRecord::POWER_OFF);
  EXPECT_EQ(exit.boot_count(), 2u);
  // The status stream ends after EXITING; the console streams end too.
  while ((*watch)->Next(&ws)) {
  }
  EXPECT_EQ(ws.phase, WorkerState::Phase::kExiting);
  std::string rest;
  while ((*a)->Read(&rest)) {
  }
  EXPECT_NE(access((dir_ + "/" + kConsoleLog).c_str(), R_OK), -1);
  absl::StatusOr<std::string> log = ReadFileToString(dir_ + "/" + kConsoleLog);
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE(absl::StrContains(*log, "rx: x"));
  EXPECT_NE(access((dir_ + "/" + kControlSocket).c_str(), F_OK), 0);
}

TEST_F(WorkerTest, ReplayComesAsOneFirstMessage) {
  Start("ticker");
  WaitRunning();
  auto typist = client_->OpenConsole(false, kTimeout);
  ASSERT_TRUE(typist.ok());
  // 4000 echoed bytes make ~24 KiB of output, more than one live chunk.
  ASSERT_TRUE((*typist)->Write(std::string(3999, 'a') + "z"));
  std::string seen;
  ASSERT_TRUE(ReadUntil(typist->get(), &seen, "rx: z"));
  auto late = client_->OpenConsole(true, kTimeout);
  ASSERT_TRUE(late.ok());
  std::string first;
  ASSERT_TRUE((*late)->Read(&first));
  // Everything the typist saw (and whatever came before it attached).
  EXPECT_TRUE(absl::StrContains(first, seen)) << first.size() << " vs " << seen.size();
  EXPECT_GE(first.size(), 24000u);
  client_->Kill(kTimeout).IgnoreError();
  EXPECT_EQ(result_.get(), kExitStopped);
}

TEST_F(WorkerTest, StubbornIgnoresPowerOffUntilKilled) {
  Start("stubborn");
  WaitRunning();
  ASSERT_TRUE(client_->RequestPowerOff(kTimeout).ok());
  EXPECT_EQ(result_.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  ASSERT_TRUE(client_->Kill(kTimeout).ok());
  EXPECT_EQ(result_.get(), kExitStopped);
  EXPECT_EQ(ReadExit().kind(), ExitRecord::STOPPED);
}

TEST_F(WorkerTest, CrashIsRecorded) {
  Start("triple_fault");
  EXPECT_EQ(result_.get(), kExitGuestCrash);
  ExitRecord exit = ReadExit();
  EXPECT_EQ(exit.kind(), ExitRecord::GUEST_CRASH);
  EXPECT_EQ(exit.message(), "triple fault");
}

TEST(WorkerStartFailure, MissingSpecIsStartFailed) {
  ScopedTempDir temp("worker_test");
  const std::string& dir = temp.path();
  EXPECT_EQ(RunWorker(dir, BuildScriptedMachine), kExitStartFailed);
  absl::StatusOr<std::string> text = ReadFileToString(dir + "/" + kExitFile);
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(absl::StrContains(*text, "START_FAILED")) << *text;
  EXPECT_TRUE(absl::StrContains(*text, "spec.txtpb")) << *text;
}

}  // namespace
}  // namespace vmm::worker
