#ifndef VMM_MANAGER_VM_STATE_H_
#define VMM_MANAGER_VM_STATE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/vmm/v1/vmm.pb.h"

namespace vmm::manager {

// The calls a user can make on an existing VM.
enum class VmAction { kStart, kPause, kResume, kStop, kReboot, kDelete, kConsole };

// OK when `action` is legal in `state`, else FAILED_PRECONDITION with a
// message that says what to do, e.g. "vm web1 is SHUTOFF; StartVm it first".
absl::Status CheckAction(VmAction action, v1::State state, absl::string_view vm_name);

// Whether the daemon may move a VM from `from` to `to` (the state machine
// of vmm.proto: CREATED -> RUNNING <-> PAUSED -> SHUTOFF | CRASHED -> RUNNING).
bool IsLegalTransition(v1::State from, v1::State to);

// RUNNING or PAUSED: a worker process exists.
inline bool IsActive(v1::State s) { return s == v1::RUNNING || s == v1::PAUSED; }

}  // namespace vmm::manager

#endif  // VMM_MANAGER_VM_STATE_H_
