#ifndef VMM_WORKER_VM_RUNNER_H_
#define VMM_WORKER_VM_RUNNER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vmm/machine/machine.h"

namespace vmm::worker {

using MachineFactory =
    std::function<absl::StatusOr<std::unique_ptr<Machine>>(const MachineSpec&, ConsoleOutput)>;

struct RunnerStatus {
  enum class Phase { kStarting, kRunning, kPaused, kExiting };
  Phase phase = Phase::kStarting;
  uint32_t boot_count = 0;
  AccelKind accel = AccelKind::kAuto;
  std::string message;
  uint64_t version = 0;  // Bumped on every change.
};

struct RunnerExit {
  enum class Kind { kPowerOff, kStopped, kGuestCrash, kStartFailed };
  Kind kind = Kind::kStopped;
  std::string message;
  uint32_t boot_count = 0;
};

// Drives the machines of one VM: builds one, runs it until it ends, builds a
// fresh one on a guest (or requested) reboot, and reports why it finally
// ended. Control calls come from other threads (the control service).
class VmRunner {
 public:
  VmRunner(MachineSpec spec, MachineFactory factory, ConsoleOutput console);

  // Blocks until the VM ends for good. Called once.
  RunnerExit Run();

  absl::Status Pause();
  absl::Status Resume();
  // Asks the guest to power off (resuming it first if paused, so that it can
  // act on the request).
  absl::Status RequestPowerOff();
  absl::Status Reboot();
  // Ends the VM: Run() returns kStopped. Any time, any thread.
  void Kill();
  // Console input for the current machine; dropped while none runs.
  void SendConsoleInput(absl::string_view bytes);

  // Runs `fn` with the current machine (nullptr when none runs), holding
  // the runner's lock so that the machine cannot end meanwhile.
  absl::Status WithMachine(const std::function<absl::Status(Machine*)>& fn);

  // Device counters since Run() began: earlier boots' totals plus the
  // running machine's (a reboot builds fresh devices).
  MachineCounters Counters() const;

  RunnerStatus status() const;
  // Waits until the status version differs from `seen` (or timeout); returns
  // the current status.
  RunnerStatus WaitForChange(uint64_t seen, absl::Duration timeout) const;

 private:
  absl::Status RequireMachine() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetPhase(RunnerStatus::Phase phase) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const MachineSpec spec_;
  const MachineFactory factory_;
  const ConsoleOutput console_;

  mutable absl::Mutex mu_;
  // Owned by Run(); shared so that a control call never races its teardown.
  std::shared_ptr<Machine> machine_ ABSL_GUARDED_BY(mu_);
  RunnerStatus status_ ABSL_GUARDED_BY(mu_);
  bool kill_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool reboot_requested_ ABSL_GUARDED_BY(mu_) = false;
  MachineCounters past_counters_ ABSL_GUARDED_BY(mu_);  // Of machines that ended.
};

}  // namespace vmm::worker

#endif  // VMM_WORKER_VM_RUNNER_H_
