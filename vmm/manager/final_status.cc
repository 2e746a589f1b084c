#include "vmm/manager/final_status.h"

#include "absl/strings/str_cat.h"

namespace vmm::manager {

FinalStatus DecideFinalStatus(const absl::StatusOr<worker::WorkerExit>& exit, pid_t pid,
                              bool stop_requested, bool forced, bool start_timed_out,
                              const std::string& process_end) {
  if (start_timed_out) {
    return {v1::CRASHED, v1::START_FAILED, "the worker did not report a running machine in time"};
  }
  if (exit.ok() && exit->pid == pid) {
    switch (exit->kind) {
      case worker::WorkerExit::Kind::kPowerOff:
        if (stop_requested) return {v1::SHUTOFF, v1::USER_STOPPED, "guest powered off on request"};
        return {v1::SHUTOFF, v1::GUEST_SHUTDOWN, "guest powered off"};
      case worker::WorkerExit::Kind::kStopped:
        if (stop_requested) {
          return {v1::SHUTOFF, v1::FORCED_STOP,
                  forced ? "worker stopped by force" : "worker stopped"};
        }
        return {v1::CRASHED, v1::WORKER_DIED, "worker stopped without a request"};
      case worker::WorkerExit::Kind::kGuestCrash:
        return {v1::CRASHED, v1::GUEST_CRASHED, exit->message};
      case worker::WorkerExit::Kind::kStartFailed:
        return {v1::CRASHED, v1::START_FAILED, exit->message};
    }
  }
  if (forced) return {v1::SHUTOFF, v1::FORCED_STOP, absl::StrCat("worker ", process_end)};
  return {v1::CRASHED, v1::WORKER_DIED, absl::StrCat("worker ", process_end)};
}

}  // namespace vmm::manager
