#include "vmm/worker/vm_runner.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "vmm/base/log.h"

namespace vmm::worker {
namespace {

// Sums `add` into `into`, list by list (spec order). vsock.connections is
// "open now", so it is not summed: the caller adds the live machine's.
void AddCounters(const MachineCounters& add, MachineCounters* into) {
  if (into->disks.size() < add.disks.size()) into->disks.resize(add.disks.size());
  for (size_t i = 0; i < add.disks.size(); ++i) {
    DiskCounterValues& d = into->disks[i];
    const DiskCounterValues& a = add.disks[i];
    d.read_requests += a.read_requests;
    d.write_requests += a.write_requests;
    d.read_bytes += a.read_bytes;
    d.write_bytes += a.write_bytes;
    d.flushes += a.flushes;
    d.errors += a.errors;
  }
  if (into->nics.size() < add.nics.size()) into->nics.resize(add.nics.size());
  for (size_t i = 0; i < add.nics.size(); ++i) {
    NicCounterValues& n = into->nics[i];
    const NicCounterValues& a = add.nics[i];
    if (!a.tap.empty()) n.tap = a.tap;  // A rebuilt machine may get a new tap fd, same name.
    n.rx_packets += a.rx_packets;
    n.rx_bytes += a.rx_bytes;
    n.rx_dropped += a.rx_dropped;
    n.tx_packets += a.tx_packets;
    n.tx_bytes += a.tx_bytes;
    n.tx_dropped += a.tx_dropped;
    n.rate_limited += a.rate_limited;
  }
  into->has_vsock = into->has_vsock || add.has_vsock;
  into->vsock.rx_bytes += add.vsock.rx_bytes;
  into->vsock.tx_bytes += add.vsock.tx_bytes;
}

// One snapshot of every device of `machine`: disks from Counters(), NICs
// and vsock from NetCounters().
MachineCounters Snapshot(const Machine& machine) {
  MachineCounters c = machine.Counters();
  NetDeviceCounters net = machine.NetCounters();
  c.nics = std::move(net.nics);
  c.has_vsock = net.has_vsock;
  c.vsock = net.vsock;
  return c;
}

}  // namespace

VmRunner::VmRunner(MachineSpec spec, MachineFactory factory, ConsoleOutput console)
    : spec_(std::move(spec)), factory_(std::move(factory)), console_(std::move(console)) {}

void VmRunner::SetPhase(RunnerStatus::Phase phase) {
  status_.phase = phase;
  ++status_.version;
}

RunnerExit VmRunner::Run() {
  RunnerExit result;
  for (;;) {
    absl::StatusOr<std::unique_ptr<Machine>> built = factory_(spec_, console_);
    std::shared_ptr<Machine> machine;
    {
      absl::MutexLock lock(&mu_);
      if (!built.ok()) {
        result.kind = RunnerExit::Kind::kStartFailed;
        result.message = status_.boot_count == 0
                             ? std::string(built.status().message())
                             : absl::StrCat("rebuilding the machine for boot ",
                                            status_.boot_count + 1, ": ", built.status().message());
        break;
      }
      machine = std::shared_ptr<Machine>(std::move(built).value());
      if (kill_requested_) {
        result.kind = RunnerExit::Kind::kStopped;
        break;
      }
      absl::Status started = machine->Start();
      if (!started.ok()) {
        result.kind = RunnerExit::Kind::kStartFailed;
        result.message = absl::StrCat("starting the machine: ", started.message());
        break;
      }
      machine_ = machine;
      reboot_requested_ = false;
      ++status_.boot_count;
      status_.accel = machine->accel();
      SetPhase(RunnerStatus::Phase::kRunning);
    }
    Log(LogLevel::kInfo, "worker", "machine_started",
        {{"boot", absl::StrCat(status().boot_count)}});

    MachineExit exit = machine->WaitForExit();
    MachineCounters final_counters = Snapshot(*machine);
    final_counters.vsock.connections = 0;  // All closed with the machine.
    bool rebuild = false;
    {
      absl::MutexLock lock(&mu_);
      machine_.reset();
      AddCounters(final_counters, &past_counters_);
      switch (exit.kind) {
        case MachineExit::Kind::kPowerOff:
          result.kind = RunnerExit::Kind::kPowerOff;
          break;
        case MachineExit::Kind::kReboot:
          rebuild = !kill_requested_;
          result.kind = RunnerExit::Kind::kStopped;
          break;
        case MachineExit::Kind::kCrash:
          result.kind = RunnerExit::Kind::kGuestCrash;
          break;
        case MachineExit::Kind::kStopped:
          rebuild = reboot_requested_ && !kill_requested_;
          result.kind = RunnerExit::Kind::kStopped;
          break;
      }
      result.message = exit.message;
      if (rebuild) SetPhase(RunnerStatus::Phase::kStarting);
    }
    Log(LogLevel::kInfo, "worker", "machine_exited",
        {{"message", exit.message}, {"rebuild", rebuild ? "true" : "false"}});
    // Destroy the machine (joins its threads) before building the next one.
    // Timed: the API shows the VM running until this returns, so a slow or
    // stuck teardown must be visible in the log.
    const absl::Time teardown_start = absl::Now();
    machine.reset();
    Log(LogLevel::kInfo, "worker", "machine_destroyed",
        {{"seconds", absl::StrFormat("%.3f", absl::ToDoubleSeconds(absl::Now() - teardown_start))}});
    if (!rebuild) break;
  }
  absl::MutexLock lock(&mu_);
  result.boot_count = status_.boot_count;
  status_.message = result.message;
  SetPhase(RunnerStatus::Phase::kExiting);
  return result;
}

absl::Status VmRunner::RequireMachine() const {
  if (machine_ == nullptr) {
    return absl::FailedPreconditionError("the machine is not running");
  }
  return absl::OkStatus();
}

absl::Status VmRunner::Pause() {
  absl::MutexLock lock(&mu_);
  absl::Status s = RequireMachine();
  if (!s.ok()) return s;
  if (status_.phase == RunnerStatus::Phase::kPaused) return absl::OkStatus();
  s = machine_->Pause();
  if (!s.ok()) return s;
  SetPhase(RunnerStatus::Phase::kPaused);
  return absl::OkStatus();
}

absl::Status VmRunner::Resume() {
  absl::MutexLock lock(&mu_);
  absl::Status s = RequireMachine();
  if (!s.ok()) return s;
  if (status_.phase != RunnerStatus::Phase::kPaused) return absl::OkStatus();
  s = machine_->Resume();
  if (!s.ok()) return s;
  SetPhase(RunnerStatus::Phase::kRunning);
  return absl::OkStatus();
}

absl::Status VmRunner::RequestPowerOff() {
  absl::MutexLock lock(&mu_);
  absl::Status s = RequireMachine();
  if (!s.ok()) return s;
  if (status_.phase == RunnerStatus::Phase::kPaused) {
    s = machine_->Resume();
    if (!s.ok()) return s;
    SetPhase(RunnerStatus::Phase::kRunning);
  }
  machine_->RequestPowerOff();
  return absl::OkStatus();
}

absl::Status VmRunner::Reboot() {
  absl::MutexLock lock(&mu_);
  absl::Status s = RequireMachine();
  if (!s.ok()) return s;
  reboot_requested_ = true;
  machine_->Stop();
  return absl::OkStatus();
}

void VmRunner::Kill() {
  absl::MutexLock lock(&mu_);
  kill_requested_ = true;
  if (machine_ != nullptr) machine_->Stop();
}

void VmRunner::SendConsoleInput(absl::string_view bytes) {
  absl::MutexLock lock(&mu_);
  if (machine_ != nullptr) machine_->SendConsoleInput(bytes);
}

absl::Status VmRunner::WithMachine(const std::function<absl::Status(Machine*)>& fn) {
  absl::MutexLock lock(&mu_);
  return fn(machine_.get());
}

MachineCounters VmRunner::Counters() const {
  std::shared_ptr<Machine> machine;
  MachineCounters total;
  {
    absl::MutexLock lock(&mu_);
    machine = machine_;
    total = past_counters_;
  }
  if (machine != nullptr) {
    const MachineCounters live = Snapshot(*machine);
    AddCounters(live, &total);
    total.vsock.connections = live.vsock.connections;
  }
  return total;
}

RunnerStatus VmRunner::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

RunnerStatus VmRunner::WaitForChange(uint64_t seen, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto changed = [this, seen]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return status_.version != seen; };
  mu_.AwaitWithTimeout(absl::Condition(&changed), timeout);
  return status_;
}

}  // namespace vmm::worker
