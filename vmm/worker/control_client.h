#ifndef VMM_WORKER_CONTROL_CLIENT_H_
#define VMM_WORKER_CONTROL_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "vmm/machine/machine.h"

namespace vmm::worker {

// What the daemon learns from a worker, without gRPC types.
struct WorkerState {
  enum class Phase { kUnknown, kStarting, kRunning, kPaused, kExiting };
  Phase phase = Phase::kUnknown;
  uint32_t boot_count = 0;
  AccelKind accel = AccelKind::kAuto;
  int pid = 0;
  std::string message;
};

// A stream of status changes; Next() blocks until one arrives or the stream
// ends (worker gone, or Cancel()).
class StatusWatch {
 public:
  virtual ~StatusWatch() = default;
  virtual bool Next(WorkerState* out) = 0;
  virtual void Cancel() = 0;  // Any thread.
};

// One attached console client.
class ConsoleSession {
 public:
  virtual ~ConsoleSession() = default;
  // Blocks for output; false when the session has ended.
  virtual bool Read(std::string* out) = 0;
  virtual bool Write(absl::string_view input) = 0;
  virtual void Cancel() = 0;  // Any thread; makes Read() return false.
};

// The daemon's side of one worker's control socket.
class WorkerClient {
 public:
  virtual ~WorkerClient() = default;

  static std::unique_ptr<WorkerClient> Create(const std::string& socket_path);

  // Each call waits up to `timeout`, including for the socket to appear.
  virtual absl::StatusOr<WorkerState> GetStatus(absl::Duration timeout) = 0;
  virtual absl::StatusOr<WorkerState> Pause(absl::Duration timeout) = 0;
  virtual absl::StatusOr<WorkerState> Resume(absl::Duration timeout) = 0;
  virtual absl::StatusOr<WorkerState> RequestPowerOff(absl::Duration timeout) = 0;
  virtual absl::StatusOr<WorkerState> Reboot(absl::Duration timeout) = 0;
  virtual absl::StatusOr<WorkerState> Kill(absl::Duration timeout) = 0;
  // Device counters since the worker started.
  virtual absl::StatusOr<MachineCounters> GetCounters(absl::Duration timeout) {
    (void)timeout;
    return absl::UnimplementedError("GetCounters: not provided by this client");
  }

  // Waits up to `connect_timeout` for the worker to answer.
  virtual absl::StatusOr<std::unique_ptr<StatusWatch>> WatchStatus(
      absl::Duration connect_timeout) = 0;
  virtual absl::StatusOr<std::unique_ptr<ConsoleSession>> OpenConsole(
      bool replay, absl::Duration connect_timeout) = 0;
};

// Why a worker ended, from the record it writes just before exiting
// (<vm dir>/exit.txtpb). NotFound when it wrote none (it was killed).
struct WorkerExit {
  enum class Kind { kPowerOff, kStopped, kGuestCrash, kStartFailed };
  Kind kind = Kind::kStopped;
  std::string message;
  uint32_t boot_count = 0;
  int pid = 0;
  MachineCounters counters;  // Totals over all boots (empty in old records).
};
absl::StatusOr<WorkerExit> ReadWorkerExit(const std::string& vm_dir);

}  // namespace vmm::worker

#endif  // VMM_WORKER_CONTROL_CLIENT_H_
