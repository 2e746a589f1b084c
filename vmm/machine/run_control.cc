#include "vmm/machine/run_control.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace vmm {

bool RunControl::WaitUntilRunnable() {
  absl::MutexLock lock(&mu_);
  if (paused_ && !exit_.has_value()) {
    ++parked_;
    mu_.Await(absl::Condition(
        +[](RunControl* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
          return !self->paused_ || self->exit_.has_value();
        },
        this));
    --parked_;
  }
  return !exit_.has_value();
}

void RunControl::ThreadExited() {
  absl::MutexLock lock(&mu_);
  ++exited_;
}

void RunControl::KickAll() {
  for (Vcpu* vcpu : vcpus_) vcpu->Kick();
}

void RunControl::RequestExit(MachineExit exit) {
  {
    absl::MutexLock lock(&mu_);
    if (!exit_.has_value()) exit_ = std::move(exit);
  }
  // Flags first, then kicks: a kicked thread re-checks them right away.
  KickAll();
}

absl::Status RunControl::Pause() {
  {
    absl::MutexLock lock(&mu_);
    if (exit_.has_value()) {
      return absl::FailedPreconditionError("pause: the machine has already exited");
    }
    paused_ = true;
  }
  KickAll();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](RunControl* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
        return self->parked_ + self->exited_ >= self->vcpus_.size() || !self->paused_;
      },
      this));
  // A concurrent Resume() wins; an exit while pausing still leaves no vCPU
  // in guest code, which is what the caller asked for.
  if (!paused_) return absl::AbortedError("pause: resumed before every vCPU had stopped");
  return absl::OkStatus();
}

absl::Status RunControl::Resume() {
  absl::MutexLock lock(&mu_);
  if (exit_.has_value()) {
    return absl::FailedPreconditionError("resume: the machine has already exited");
  }
  paused_ = false;
  return absl::OkStatus();
}

MachineExit RunControl::WaitForExitReason() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](RunControl* self)
           ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) { return self->exit_.has_value(); },
      this));
  return *exit_;
}

bool RunControl::WaitForThreadsExited(size_t count, absl::Duration timeout,
                                      absl::Duration rekick_every, int* rekicks) {
  struct Want {
    RunControl* self;
    size_t count;
  } want{this, count};
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      const absl::Time until = std::min(deadline, absl::Now() + rekick_every);
      if (mu_.AwaitWithDeadline(
              absl::Condition(
                  +[](Want* w) ABSL_NO_THREAD_SAFETY_ANALYSIS { return w->self->exited_ >= w->count; },
                  &want),
              until)) {
        return true;
      }
    }
    if (absl::Now() >= deadline) return false;
    ++*rekicks;
    KickAll();
  }
}

std::optional<MachineExit> RunControl::exit_reason() const {
  absl::MutexLock lock(&mu_);
  return exit_;
}

}  // namespace vmm
