#ifndef VMM_MANAGER_VM_RECORD_H_
#define VMM_MANAGER_VM_RECORD_H_

// The manager's per-VM record, shared by vm_manager.cc (user operations) and
// vm_supervision.cc (worker supervision and re-adoption). Private to them.

#include <sys/types.h>

#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "proto/vmm/v1/vmm.pb.h"
#include "vmm/base/fd.h"
#include "vmm/manager/vm_manager.h"
#include "vmm/worker/control_client.h"

namespace vmm::manager {

// One VM. Fields below op_mu are guarded by VmManager::mu_ (the analysis
// cannot name another object's mutex here).
struct VmManager::Record {
  // Serializes the user's lifecycle calls on this VM (Start, Stop...), which
  // wait for workers and must not hold mu_ while they do.
  absl::Mutex op_mu;

  v1::Vm vm;
  bool deleted = false;

  // The current worker. `generation` counts workers (spawned or adopted).
  uint64_t generation = 0;
  bool worker_alive = false;
  bool starting = false;  // Spawned, machine not yet reported running.
  bool start_timed_out = false;
  bool is_child = false;  // Spawned by this daemon (can waitpid).
  pid_t pid = 0;
  std::shared_ptr<Fd> pidfd;
  StopIntent stop_intent = StopIntent::kNone;
  std::shared_ptr<worker::WorkerClient> client;
  std::shared_ptr<worker::StatusWatch> watch;  // For cancellation at shutdown.
  // The newest device counters of the current (or last) worker: from its
  // answers while it runs, then from its exit record, so that GetVm keeps
  // them after SHUTOFF/CRASHED. Cleared by StartVm.
  MachineCounters last_counters;
  std::thread monitor;
};

}  // namespace vmm::manager

#endif  // VMM_MANAGER_VM_RECORD_H_
