#ifndef API_VM_SERVICE_H_
#define API_VM_SERVICE_H_

#include <atomic>

#include "api/validation.h"
#include "proto/vmm/v1/vmm.grpc.pb.h"
#include "vmm/manager/vm_manager.h"

namespace vmm::api {

// vmm.v1.VmService: validates requests and maps them onto the VmManager.
// Status codes: NOT_FOUND unknown VM, ALREADY_EXISTS duplicate name,
// INVALID_ARGUMENT bad request, FAILED_PRECONDITION wrong state for the call.
// StreamConsole is a callback method (console_reactor.h); the rest are sync.
class VmServiceImpl final
    : public v1::VmService::WithCallbackMethod_StreamConsole<v1::VmService::Service> {
 public:
  VmServiceImpl(manager::VmManager* manager, HostLimits limits);

  // Makes streaming calls return promptly (daemon shutdown).
  void BeginShutdown() { shutting_down_ = true; }

  grpc::Status CreateVm(grpc::ServerContext*, const v1::CreateVmRequest*, v1::Vm*) override;
  grpc::Status StartVm(grpc::ServerContext*, const v1::StartVmRequest*, v1::Vm*) override;
  grpc::Status PauseVm(grpc::ServerContext*, const v1::PauseVmRequest*, v1::Vm*) override;
  grpc::Status ResumeVm(grpc::ServerContext*, const v1::ResumeVmRequest*, v1::Vm*) override;
  grpc::Status StopVm(grpc::ServerContext*, const v1::StopVmRequest*, v1::Vm*) override;
  grpc::Status RebootVm(grpc::ServerContext*, const v1::RebootVmRequest*, v1::Vm*) override;
  grpc::Status DeleteVm(grpc::ServerContext*, const v1::DeleteVmRequest*,
                        v1::DeleteVmResponse*) override;
  grpc::Status GetVm(grpc::ServerContext*, const v1::GetVmRequest*, v1::Vm*) override;
  grpc::Status ListVms(grpc::ServerContext*, const v1::ListVmsRequest*,
                       v1::ListVmsResponse*) override;
  grpc::Status WatchEvents(grpc::ServerContext* ctx, const v1::WatchEventsRequest* req,
                           grpc::ServerWriter<v1::VmEvent>* writer) override;
  grpc::ServerBidiReactor<v1::ConsoleRequest, v1::ConsoleResponse>* StreamConsole(
      grpc::CallbackServerContext* ctx) override;
  // net_service.cc
  grpc::Status UpdateNic(grpc::ServerContext*, const v1::UpdateNicRequest*, v1::Vm*) override;
  grpc::Status StartCapture(grpc::ServerContext*, const v1::StartCaptureRequest*,
                            v1::CaptureResponse*) override;
  grpc::Status StopCapture(grpc::ServerContext*, const v1::StopCaptureRequest*,
                           v1::CaptureResponse*) override;
  grpc::Status StreamCapture(grpc::ServerContext* ctx, const v1::StreamCaptureRequest* req,
                             grpc::ServerWriter<v1::CaptureChunk>* writer) override;

 private:
  manager::VmManager* const manager_;
  const HostLimits limits_;
  std::atomic<bool> shutting_down_{false};
};

// absl::Status and grpc::Status share their code numbering.
grpc::Status ToGrpc(const absl::Status& s);

}  // namespace vmm::api

#endif  // API_VM_SERVICE_H_
