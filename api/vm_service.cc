#include "api/vm_service.h"

#include "absl/strings/str_cat.h"
#include "api/console_reactor.h"
#include "vmm/base/log.h"

namespace vmm::api {
namespace {

// How often streaming loops look at cancellation and shutdown.
constexpr absl::Duration kPollInterval = absl::Milliseconds(200);
constexpr absl::Duration kDefaultStopTimeout = absl::Seconds(10);

// Runs `call` (returning StatusOr<Vm>) and fills `out`.
template <typename Call>
grpc::Status Reply(Call call, v1::Vm* out) {
  absl::StatusOr<v1::Vm> vm = call();
  if (!vm.ok()) return ToGrpc(vm.status());
  *out = std::move(vm).value();
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

VmServiceImpl::VmServiceImpl(manager::VmManager* manager, HostLimits limits)
    : manager_(manager), limits_(limits) {}

grpc::Status VmServiceImpl::CreateVm(grpc::ServerContext*, const v1::CreateVmRequest* req,
                                     v1::Vm* out) {
  absl::Status valid = ValidateSpec(req->spec(), limits_);
  if (!valid.ok()) return ToGrpc(valid);
  return Reply([&] { return manager_->Create(req->spec()); }, out);
}

grpc::Status VmServiceImpl::StartVm(grpc::ServerContext*, const v1::StartVmRequest* req,
                                    v1::Vm* out) {
  absl::Status valid = ValidateRef(req->vm(), "vm");
  if (!valid.ok()) return ToGrpc(valid);
  // The boot files may have changed since CreateVm: check again, so that a
  // vanished file is the caller's INVALID_ARGUMENT, not a crashed start.
  absl::StatusOr<v1::Vm> vm = manager_->Get(req->vm());
  if (!vm.ok()) return ToGrpc(vm.status());
  valid = ValidateSpec(vm->spec(), limits_);
  if (!valid.ok()) {
    return ToGrpc(absl::Status(
        valid.code(), absl::StrCat("vm ", vm->spec().name(), " cannot start: ", valid.message())));
  }
  return Reply([&] { return manager_->Start(req->vm()); }, out);
}

grpc::Status VmServiceImpl::PauseVm(grpc::ServerContext*, const v1::PauseVmRequest* req,
                                    v1::Vm* out) {
  absl::Status valid = ValidateRef(req->vm(), "vm");
  if (!valid.ok()) return ToGrpc(valid);
  return Reply([&] { return manager_->Pause(req->vm()); }, out);
}

grpc::Status VmServiceImpl::ResumeVm(grpc::ServerContext*, const v1::ResumeVmRequest* req,
                                     v1::Vm* out) {
  absl::Status valid = ValidateRef(req->vm(), "vm");
  if (!valid.ok()) return ToGrpc(valid);
  return Reply([&] { return manager_->Resume(req->vm()); }, out);
}

grpc::Status VmServiceImpl::StopVm(grpc::ServerContext*, const v1::StopVmRequest* req,
                                   v1::Vm* out) {
  absl::Status valid = ValidateRef(req->vm(), "vm");
  if (!valid.ok()) return ToGrpc(valid);
  absl::Duration timeout =
      req->timeout_ms() == 0 ? kDefaultStopTimeout : absl::Milliseconds(req->timeout_ms());
  return Reply([&] { return manager_->Stop(req->vm(), timeout, req->force()); }, out);
}

grpc::Status VmServiceImpl::RebootVm(grpc::ServerContext*, const v1::RebootVmRequest* req,
                                     v1::Vm* out) {
  absl::Status valid = ValidateRef(req->vm(), "vm");
  if (!valid.ok()) return ToGrpc(valid);
  return Reply([&] { return manager_->Reboot(req->vm()); }, out);
}

grpc::Status VmServiceImpl::DeleteVm(grpc::ServerContext*, const v1::DeleteVmRequest* req,
                                     v1::DeleteVmResponse*) {
  absl::Status valid = ValidateRef(req->vm(), "vm");
  if (!valid.ok()) return ToGrpc(valid);
  return ToGrpc(manager_->Delete(req->vm()));
}

grpc::Status VmServiceImpl::GetVm(grpc::ServerContext*, const v1::GetVmRequest* req, v1::Vm* out) {
  absl::Status valid = ValidateRef(req->vm(), "vm");
  if (!valid.ok()) return ToGrpc(valid);
  return Reply([&] { return manager_->Get(req->vm()); }, out);
}

grpc::Status VmServiceImpl::ListVms(grpc::ServerContext*, const v1::ListVmsRequest*,
                                    v1::ListVmsResponse* out) {
  for (v1::Vm& vm : manager_->List()) *out->add_vms() = std::move(vm);
  return grpc::Status::OK;
}

grpc::Status VmServiceImpl::WatchEvents(grpc::ServerContext* ctx, const v1::WatchEventsRequest* req,
                                        grpc::ServerWriter<v1::VmEvent>* writer) {
  const v1::VmRef* ref = nullptr;
  if (req->has_vm()) {
    absl::Status valid = ValidateRef(req->vm(), "vm");
    if (!valid.ok()) return ToGrpc(valid);
    ref = &req->vm();
  }
  absl::StatusOr<manager::VmManager::Watch> watch = manager_->WatchEvents(ref);
  if (!watch.ok()) return ToGrpc(watch.status());
  // The current state first: the caller knows the subscription is live once
  // it has read these, and misses nothing after.
  for (const v1::VmEvent& e : watch->snapshot) {
    if (!writer->Write(e)) return grpc::Status::OK;
  }
  while (!ctx->IsCancelled() && !shutting_down_) {
    v1::VmEvent e;
    bool closed = false;
    if (watch->subscription->Next(&e, kPollInterval, &closed)) {
      if (!writer->Write(e)) break;
    } else if (closed) {
      break;
    }
  }
  return grpc::Status::OK;
}

grpc::ServerBidiReactor<v1::ConsoleRequest, v1::ConsoleResponse>* VmServiceImpl::StreamConsole(
    grpc::CallbackServerContext*) {
  return NewConsoleReactor(manager_);
}

}  // namespace vmm::api
