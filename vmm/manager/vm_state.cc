#include "vmm/manager/vm_state.h"

#include "absl/strings/str_cat.h"

namespace vmm::manager {
namespace {

absl::Status Refuse(absl::string_view name, v1::State state, absl::string_view what_to_do) {
  return absl::FailedPreconditionError(
      absl::StrCat("vm ", name, " is ", v1::State_Name(state), "; ", what_to_do));
}

}  // namespace

absl::Status CheckAction(VmAction action, v1::State state, absl::string_view name) {
  const bool active = IsActive(state);
  switch (action) {
    case VmAction::kStart:
      if (active) return Refuse(name, state, "it is already started");
      return absl::OkStatus();
    case VmAction::kPause:
      if (state == v1::RUNNING) return absl::OkStatus();
      if (state == v1::PAUSED) return Refuse(name, state, "it is already paused");
      return Refuse(name, state, "StartVm it first");
    case VmAction::kResume:
      if (state == v1::PAUSED) return absl::OkStatus();
      if (state == v1::RUNNING) return Refuse(name, state, "only a PAUSED vm can be resumed");
      return Refuse(name, state, "StartVm it first");
    case VmAction::kStop:
      if (active) return absl::OkStatus();
      return Refuse(name, state, "it is not running");
    case VmAction::kReboot:
      if (state == v1::RUNNING) return absl::OkStatus();
      if (state == v1::PAUSED) return Refuse(name, state, "ResumeVm it first");
      return Refuse(name, state, "StartVm it first");
    case VmAction::kDelete:
      if (active) return Refuse(name, state, "StopVm it first");
      return absl::OkStatus();
    case VmAction::kConsole:
      if (active) return absl::OkStatus();
      return Refuse(name, state, "StartVm it first");
  }
  return absl::InternalError("unknown action");
}

bool IsLegalTransition(v1::State from, v1::State to) {
  switch (from) {
    case v1::CREATED:
    case v1::SHUTOFF:
    case v1::CRASHED:
      // Starting: RUNNING, or CRASHED when the start fails. Adoption of a
      // worker after a daemon restart may find it PAUSED.
      return to == v1::RUNNING || to == v1::CRASHED || to == v1::PAUSED;
    case v1::RUNNING:
      return to == v1::RUNNING || to == v1::PAUSED || to == v1::SHUTOFF || to == v1::CRASHED;
    case v1::PAUSED:
      return to == v1::RUNNING || to == v1::SHUTOFF || to == v1::CRASHED || to == v1::PAUSED;
    default:
      return false;
  }
}

}  // namespace vmm::manager
