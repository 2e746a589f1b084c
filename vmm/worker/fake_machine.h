#ifndef VMM_WORKER_FAKE_MACHINE_H_
#define VMM_WORKER_FAKE_MACHINE_H_

// A Machine for unit tests of the worker's control logic, which must not
// depend on what a real guest does or how fast it runs. Integration with
// the real machine is covered by tests/e2e.

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "vmm/machine/machine.h"

namespace vmm::worker {

struct FakeMachineControl {
  absl::Mutex mu;
  bool obey_power_off = true;  // Like "ticker"; false is like "stubborn".
  int built = 0;
  bool paused = false;
  // Set by the test to end the current machine as the guest would.
  bool guest_exit = false;
  MachineExit guest_exit_value;
  std::string fail_build;  // Non-empty: BuildMachine fails with this.
  // What the current machine's Counters()/NetCounters() report.
  MachineCounters counters;
  NetDeviceCounters net;
};

class FakeMachine : public Machine {
 public:
  FakeMachine(FakeMachineControl* control, ConsoleOutput console)
      : control_(control), console_(std::move(console)) {}
  AccelKind accel() const override { return AccelKind::kKvm; }
  absl::Status Start() override {
    console_("booted\n");
    return absl::OkStatus();
  }
  absl::Status Pause() override {
    absl::MutexLock lock(&control_->mu);
    control_->paused = true;
    return absl::OkStatus();
  }
  absl::Status Resume() override {
    absl::MutexLock lock(&control_->mu);
    control_->paused = false;
    return absl::OkStatus();
  }
  void RequestPowerOff() override {
    absl::MutexLock lock(&control_->mu);
    if (control_->obey_power_off) End({MachineExit::Kind::kPowerOff, "power off"});
  }
  void Stop() override {
    absl::MutexLock lock(&control_->mu);
    End({MachineExit::Kind::kStopped, "stopped"});
  }
  MachineExit WaitForExit() override {
    absl::MutexLock lock(&control_->mu);
    auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(control_->mu) {
      return ended_ || control_->guest_exit;
    };
    control_->mu.Await(absl::Condition(&done));
    if (!ended_) {
      control_->guest_exit = false;
      exit_ = control_->guest_exit_value;
      ended_ = true;
    }
    return exit_;
  }
  MachineCounters Counters() const override {
    absl::MutexLock lock(&control_->mu);
    return control_->counters;
  }
  NetDeviceCounters NetCounters() const override {
    absl::MutexLock lock(&control_->mu);
    return control_->net;
  }
  void SendConsoleInput(absl::string_view bytes) override {
    console_(std::string("rx: ") + std::string(bytes) + "\n");
  }

 private:
  void End(MachineExit exit) ABSL_EXCLUSIVE_LOCKS_REQUIRED(control_->mu) {
    if (ended_) return;
    ended_ = true;
    exit_ = std::move(exit);
  }

  FakeMachineControl* control_;
  ConsoleOutput console_;
  bool ended_ ABSL_GUARDED_BY(control_->mu) = false;
  MachineExit exit_ ABSL_GUARDED_BY(control_->mu);
};

inline absl::StatusOr<std::unique_ptr<Machine>> BuildFakeMachine(FakeMachineControl* control,
                                                                 ConsoleOutput console) {
  absl::MutexLock lock(&control->mu);
  if (!control->fail_build.empty()) return absl::NotFoundError(control->fail_build);
  ++control->built;
  return std::unique_ptr<Machine>(new FakeMachine(control, std::move(console)));
}

}  // namespace vmm::worker

#endif  // VMM_WORKER_FAKE_MACHINE_H_
