#ifndef VMM_MANAGER_FINAL_STATUS_H_
#define VMM_MANAGER_FINAL_STATUS_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "proto/vmm/v1/vmm.pb.h"
#include "vmm/worker/control_client.h"

namespace vmm::manager {

// The state a VM lands in when its worker has ended.
struct FinalStatus {
  v1::State state;
  v1::StateReason reason;
  std::string message;
};

// How a VM ends, from the worker's exit record (used only if written by this
// pid), what the daemon had asked for (a stop, a forced one, a start that
// timed out), and how the process ended ("killed by signal 9").
FinalStatus DecideFinalStatus(const absl::StatusOr<worker::WorkerExit>& exit, pid_t pid,
                              bool stop_requested, bool forced, bool start_timed_out,
                              const std::string& process_end);

}  // namespace vmm::manager

#endif  // VMM_MANAGER_FINAL_STATUS_H_
