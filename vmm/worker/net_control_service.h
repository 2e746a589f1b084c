#ifndef VMM_WORKER_NET_CONTROL_SERVICE_H_
#define VMM_WORKER_NET_CONTROL_SERVICE_H_

#include "vmm/worker/control.grpc.pb.h"
#include "vmm/worker/net_backends.h"
#include "vmm/worker/vm_runner.h"

namespace vmm::worker {

// WorkerNetControl: rate limits and vsock capture of the network devices
// (their counters: ControlService::GetCounters), over NetBackends (what outlives a boot) and the running machine.
class NetControlService final : public WorkerNetControl::Service {
 public:
  NetControlService(VmRunner* runner, NetBackends* backends)
      : runner_(runner), backends_(backends) {}

  grpc::Status UpdateNic(grpc::ServerContext*, const NicUpdate* req, Empty*) override;
  grpc::Status StartCapture(grpc::ServerContext*, const CaptureTarget* req, Empty*) override;
  grpc::Status StopCapture(grpc::ServerContext*, const Empty*, Empty*) override;

 private:
  VmRunner* const runner_;
  NetBackends* const backends_;
};

}  // namespace vmm::worker

#endif  // VMM_WORKER_NET_CONTROL_SERVICE_H_
