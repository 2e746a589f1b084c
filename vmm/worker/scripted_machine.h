#ifndef VMM_WORKER_SCRIPTED_MACHINE_H_
#define VMM_WORKER_SCRIPTED_MACHINE_H_

// A stand-in Machine for tests of the worker process and the manager that
// must run real worker processes but not depend on the real machine or on
// how fast guests run. It mimics the payloads in tests/guests by the
// payload's file name: "hello" prints and powers off, "ticker" prints
// "tick N" every 50 ms, echoes input and obeys power-off, "stubborn" ignores
// power-off, "triple_fault" crashes. The payload file must exist.

#include <sys/stat.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "vmm/base/errno_status.h"
#include "vmm/machine/machine.h"

namespace vmm::worker {

class ScriptedMachine : public Machine {
 public:
  ScriptedMachine(std::string script, ConsoleOutput console)
      : script_(std::move(script)), console_(std::move(console)) {}
  ~ScriptedMachine() override {
    Stop();
    if (thread_.joinable()) thread_.join();
  }
  AccelKind accel() const override { return AccelKind::kKvm; }
  absl::Status Start() override {
    thread_ = std::thread([this] { Loop(); });
    return absl::OkStatus();
  }
  absl::Status Pause() override {
    absl::MutexLock lock(&mu_);
    paused_ = true;
    return absl::OkStatus();
  }
  absl::Status Resume() override {
    absl::MutexLock lock(&mu_);
    paused_ = false;
    return absl::OkStatus();
  }
  void RequestPowerOff() override {
    absl::MutexLock lock(&mu_);
    if (script_ != "stubborn") End(MachineExit::Kind::kPowerOff, "guest powered off");
  }
  void Stop() override {
    absl::MutexLock lock(&mu_);
    End(MachineExit::Kind::kStopped, "stopped by host");
  }
  MachineExit WaitForExit() override {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&ended_));
    }
    if (thread_.joinable()) thread_.join();
    absl::MutexLock lock(&mu_);
    return exit_;
  }
  void SendConsoleInput(absl::string_view bytes) override {
    for (char c : bytes) console_(absl::StrCat("rx: ", std::string(1, c), "\n"));
  }

 private:
  void End(MachineExit::Kind kind, std::string message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (ended_) return;
    ended_ = true;
    exit_ = {kind, std::move(message)};
  }
  void Loop() {
    if (script_ == "hello") {
      console_("Hello from the scripted guest\n");
      absl::MutexLock lock(&mu_);
      End(MachineExit::Kind::kPowerOff, "guest powered off");
      return;
    }
    if (script_ == "triple_fault") {
      absl::MutexLock lock(&mu_);
      End(MachineExit::Kind::kCrash, "triple fault");
      return;
    }
    for (int tick = 0;; ++tick) {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&ended_), absl::Milliseconds(50))) return;
      if (paused_) continue;
      console_(absl::StrCat("tick ", tick, "\n"));
    }
  }

  const std::string script_;
  const ConsoleOutput console_;
  absl::Mutex mu_;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  MachineExit exit_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

inline absl::StatusOr<std::unique_ptr<Machine>> BuildScriptedMachine(const MachineSpec& spec,
                                                                     ConsoleOutput console) {
  struct stat st;
  if (::stat(spec.payload_path.c_str(), &st) != 0) {
    return ErrnoStatus(absl::StrCat("payload ", spec.payload_path));
  }
  std::string base = spec.payload_path.substr(spec.payload_path.rfind('/') + 1);
  for (const char* script : {"hello", "ticker", "stubborn", "triple_fault"}) {
    if (absl::StrContains(base, script)) {
      return std::unique_ptr<Machine>(new ScriptedMachine(script, std::move(console)));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("payload ", spec.payload_path, ": unknown script"));
}

}  // namespace vmm::worker

#endif  // VMM_WORKER_SCRIPTED_MACHINE_H_
