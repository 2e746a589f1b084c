#ifndef VMM_WORKER_CONTROL_SERVICE_H_
#define VMM_WORKER_CONTROL_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>

#include "absl/synchronization/mutex.h"
#include "vmm/worker/console_buffer.h"
#include "vmm/worker/control.grpc.pb.h"
#include "vmm/worker/vm_runner.h"

namespace vmm::worker {

// WorkerControl over a VmRunner and its ConsoleBuffer.
class ControlService final : public WorkerControl::Service {
 public:
  // `send_input` delivers console input to the running machine.
  ControlService(VmRunner* runner, ConsoleBuffer* console,
                 std::function<void(absl::string_view)> send_input);

  // Makes every stream return soon, so that the server can shut down.
  void BeginShutdown() { shutting_down_ = true; }

  grpc::Status GetStatus(grpc::ServerContext*, const Empty*, WorkerStatus* out) override;
  grpc::Status GetCounters(grpc::ServerContext*, const Empty*, Counters* out) override;
  grpc::Status WatchStatus(grpc::ServerContext* ctx, const Empty*,
                           grpc::ServerWriter<WorkerStatus>* writer) override;
  grpc::Status Pause(grpc::ServerContext*, const Empty*, WorkerStatus* out) override;
  grpc::Status Resume(grpc::ServerContext*, const Empty*, WorkerStatus* out) override;
  grpc::Status RequestPowerOff(grpc::ServerContext*, const Empty*, WorkerStatus* out) override;
  grpc::Status Reboot(grpc::ServerContext*, const Empty*, WorkerStatus* out) override;
  grpc::Status Kill(grpc::ServerContext*, const Empty*, WorkerStatus* out) override;
  grpc::Status Console(grpc::ServerContext* ctx,
                       grpc::ServerReaderWriter<ConsoleOut, ConsoleIn>* stream) override;

 private:
  void Fill(const RunnerStatus& st, WorkerStatus* out) const;
  grpc::Status Reply(const absl::Status& s, WorkerStatus* out) const;

  VmRunner* const runner_;
  ConsoleBuffer* const console_;
  const std::function<void(absl::string_view)> send_input_;
  std::atomic<bool> shutting_down_{false};

  absl::Mutex input_mu_;
  // The console stream that holds the input (0: none); streams are numbered.
  uint64_t input_owner_ ABSL_GUARDED_BY(input_mu_) = 0;
  uint64_t next_stream_ ABSL_GUARDED_BY(input_mu_) = 1;
};

}  // namespace vmm::worker

#endif  // VMM_WORKER_CONTROL_SERVICE_H_
