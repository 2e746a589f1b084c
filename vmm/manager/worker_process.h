#ifndef VMM_MANAGER_WORKER_PROCESS_H_
#define VMM_MANAGER_WORKER_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vmm/base/fd.h"

namespace vmm::manager {

struct SpawnedProcess {
  pid_t pid = 0;
  Fd pidfd;  // Refers to exactly this process, even after its pid is reused.
};

// Starts `argv` (argv[0] is the binary) in a new session (setsid), so that a
// signal to the daemon's process group or its death leaves it running, with
// stdin from /dev/null and stdout/stderr appended to `log_path`. No other
// descriptor is inherited.
absl::StatusOr<SpawnedProcess> SpawnDetached(const std::vector<std::string>& argv,
                                             const std::string& log_path);

// A pidfd for a process that is not our child (re-adoption).
absl::StatusOr<Fd> OpenPidfd(pid_t pid);

// Waits up to `timeout` for the process to end; true if it has.
bool WaitForExit(int pidfd, absl::Duration timeout);

// Sends `sig` through the pidfd: never hits a recycled pid.
absl::Status SignalProcess(int pidfd, int sig);

// Reaps an ended child and describes how it ended: its exit code (or -1)
// and "exited with status 3" / "killed by signal 9".
struct ChildExit {
  int exit_code = -1;  // -1 when killed by a signal.
  int signal = 0;
  std::string description;
};
absl::StatusOr<ChildExit> ReapChild(pid_t pid);

}  // namespace vmm::manager

#endif  // VMM_MANAGER_WORKER_PROCESS_H_
