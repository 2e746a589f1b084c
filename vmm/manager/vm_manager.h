#ifndef VMM_MANAGER_VM_MANAGER_H_
#define VMM_MANAGER_VM_MANAGER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/vmm/v1/vmm.pb.h"
#include "vmm/base/fd.h"
#include "vmm/manager/event_hub.h"
#include "vmm/manager/vm_state.h"
#include "vmm/manager/vm_store.h"
#include "vmm/worker/control_client.h"

namespace vmm::manager {

struct ManagerOptions {
  std::string state_dir;
  std::string worker_binary;
  // How long StartVm waits for the worker to report the machine running.
  absl::Duration start_timeout = absl::Seconds(30);
  // Deadline of one control call to a worker.
  absl::Duration worker_call_timeout = absl::Seconds(10);
  // After a forced stop's Kill call, how long before SIGKILL.
  absl::Duration kill_grace = absl::Seconds(3);
};

// The registry of VMs and their workers. The proto messages of vmm.v1 serve
// as plain data here (Vm, VmSpec, VmStatus, VmRef, VmEvent): they are what
// is persisted and reported, and a parallel set of structs would only add
// copying. No gRPC reaches this layer: workers are driven through
// worker::WorkerClient.
//
// Specs are assumed validated by the API layer; the manager enforces what
// needs its registry (unique names, legal state for each call).
class VmManager {
 public:
  // Loads the state directory and re-adopts workers that are still running.
  static absl::StatusOr<std::unique_ptr<VmManager>> Open(ManagerOptions options);
  ~VmManager();

  // Stops supervising (monitor threads end, subscriptions close) and leaves
  // workers running, for the next daemon to adopt.
  void Shutdown();

  absl::StatusOr<v1::Vm> Create(const v1::VmSpec& spec);
  absl::StatusOr<v1::Vm> Get(const v1::VmRef& ref);
  std::vector<v1::Vm> List();
  absl::StatusOr<v1::Vm> Start(const v1::VmRef& ref);
  absl::StatusOr<v1::Vm> Pause(const v1::VmRef& ref);
  absl::StatusOr<v1::Vm> Resume(const v1::VmRef& ref);
  // Graceful power-off request, forced kill after `timeout` (at once with
  // `force`).
  absl::StatusOr<v1::Vm> Stop(const v1::VmRef& ref, absl::Duration timeout, bool force);
  // Returns once the new boot runs.
  absl::StatusOr<v1::Vm> Reboot(const v1::VmRef& ref);
  absl::Status Delete(const v1::VmRef& ref);

  absl::StatusOr<std::unique_ptr<worker::ConsoleSession>> OpenConsole(const v1::VmRef& ref,
                                                                      bool replay);

  // Network devices of a running or paused VM (vm_net.cc). UpdateNic also
  // stores the limits in the spec, for later boots.
  absl::StatusOr<v1::Vm> UpdateNic(const v1::VmRef& ref, uint32_t nic_index,
                                   const v1::RateLimit& rx, const v1::RateLimit& tx);
  absl::Status StartCapture(const v1::VmRef& ref, const std::string& path);
  absl::Status StopCapture(const v1::VmRef& ref);
  // The read end of a FIFO that carries the VM's vsock capture as a pcap
  // stream; EOF when the capture ends (stopped, replaced, or the VM ended).
  absl::StatusOr<Fd> OpenCaptureStream(const v1::VmRef& ref);

  // Subscribes to events (of one VM if `ref` is set) and returns the current
  // state of the watched VMs as the first events.
  struct Watch {
    std::shared_ptr<EventHub::Subscription> subscription;
    std::vector<v1::VmEvent> snapshot;
  };
  absl::StatusOr<Watch> WatchEvents(const v1::VmRef* ref);

 private:
  using WorkerCall =
      absl::StatusOr<worker::WorkerState> (worker::WorkerClient::*)(absl::Duration timeout);
  // Pause/Resume: checks that `action` is legal now, asks the worker, and
  // records the state it reports.
  absl::StatusOr<v1::Vm> ForwardToWorker(const v1::VmRef& ref, VmAction action,
                                         WorkerCall call);
  struct Record;
  enum class StopIntent { kNone, kGraceful, kForced };

  explicit VmManager(ManagerOptions options);
  void LoadAndAdopt();
  bool TryAdopt(const std::shared_ptr<Record>& rec) ABSL_LOCKS_EXCLUDED(mu_);

  absl::StatusOr<std::shared_ptr<Record>> Find(const v1::VmRef& ref) ABSL_LOCKS_EXCLUDED(mu_);
  // Returns the record's VM unless it was deleted meanwhile.
  absl::StatusOr<v1::Vm> Snapshot(const std::shared_ptr<Record>& rec) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status Check(const std::shared_ptr<Record>& rec, VmAction action) ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<worker::WorkerClient> ClientOf(const std::shared_ptr<Record>& rec)
      ABSL_LOCKS_EXCLUDED(mu_);
  // GetVm's device counters, asked of the worker (outside mu_).
  void FillCounters(const std::shared_ptr<Record>& rec, v1::Vm* vm) ABSL_LOCKS_EXCLUDED(mu_);

  void SetStatus(Record* rec, v1::State state, v1::StateReason reason, std::string message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Persist(Record* rec) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Publish(const Record& rec, bool deleted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyWorkerState(Record* rec, const worker::WorkerState& st)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Starts supervising a worker (spawned or adopted).
  void Supervise(const std::shared_ptr<Record>& rec, pid_t pid, bool is_child,
                 std::shared_ptr<Fd> pidfd) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Monitor(std::shared_ptr<Record> rec, uint64_t generation);
  // Sets the final state of a VM whose worker has ended.
  void Finalize(const std::shared_ptr<Record>& rec, uint64_t generation) ABSL_LOCKS_EXCLUDED(mu_);
  void JoinMonitor(const std::shared_ptr<Record>& rec) ABSL_LOCKS_EXCLUDED(mu_);
  // vm_net.cc: a guest CID or vsock socket another VM of this daemon has.
  absl::Status CheckVsockFree(const v1::VmSpec& spec) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The worker's net control, for a VM that runs; FAILED_PRECONDITION else.
  absl::StatusOr<std::string> LiveControlSocket(const std::shared_ptr<Record>& rec)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until the worker of the current generation has ended.
  bool AwaitWorkerGone(const std::shared_ptr<Record>& rec, absl::Duration timeout)
      ABSL_LOCKS_EXCLUDED(mu_);

  const ManagerOptions options_;
  VmStore store_;
  EventHub events_;
  std::atomic<bool> shutting_down_{false};

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Record>> by_id_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> id_by_name_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vmm::manager

#endif  // VMM_MANAGER_VM_MANAGER_H_
