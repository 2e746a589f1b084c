#include "api/vm_service.h"

#include <thread>

#include "absl/strings/str_cat.h"
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
    return ToGrpc(absl::Status(valid.code(), absl::StrCat("vm ", vm->spec().name(),
                                                          " cannot start: ", valid.message())));
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

grpc::Status VmServiceImpl::GetVm(grpc::ServerContext*, const v1::GetVmRequest* req,
                                  v1::Vm* out) {
  absl::Status valid = ValidateRef(req->vm(), "vm");
  if (!valid.ok()) return ToGrpc(valid);
  return Reply([&] { return manager_->Get(req->vm()); }, out);
}

grpc::Status VmServiceImpl::ListVms(grpc::ServerContext*, const v1::ListVmsRequest*,
                                    v1::ListVmsResponse* out) {
  for (v1::Vm& vm : manager_->List()) *out->add_vms() = std::move(vm);
  return grpc::Status::OK;
}

grpc::Status VmServiceImpl::WatchEvents(grpc::ServerContext* ctx,
                                        const v1::WatchEventsRequest* req,
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

grpc::Status VmServiceImpl::StreamConsole(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::ConsoleResponse, v1::ConsoleRequest>* stream) {
  v1::ConsoleRequest first;
  if (!stream->Read(&first)) {
    return grpc::Status(grpc::INVALID_ARGUMENT, "the first ConsoleRequest must set vm");
  }
  absl::Status valid = ValidateRef(first.vm(), "vm");
  if (!valid.ok()) return ToGrpc(valid);
  absl::StatusOr<std::unique_ptr<worker::ConsoleSession>> opened =
      manager_->OpenConsole(first.vm(), first.replay());
  if (!opened.ok()) return ToGrpc(opened.status());
  std::unique_ptr<worker::ConsoleSession> session = std::move(opened).value();
  if (!first.input().empty()) session->Write(first.input());

  // Client -> worker on a second thread. A client that half-closes (no more
  // input) still receives output until it cancels; the loop below ends the
  // session when the call is cancelled.
  std::atomic<bool> done{false};
  std::thread input([&] {
    v1::ConsoleRequest req;
    while (stream->Read(&req)) {
      if (!req.input().empty() && !session->Write(req.input())) break;
    }
    while (!done && !ctx->IsCancelled() && !shutting_down_) absl::SleepFor(kPollInterval);
    session->Cancel();
  });
  std::string chunk;
  while (session->Read(&chunk)) {
    v1::ConsoleResponse resp;
    resp.set_output(std::move(chunk));
    chunk.clear();
    if (!stream->Write(resp)) break;
  }
  done = true;
  // The worker ended the console (VM gone) or the client went away: make
  // the input thread's Read return.
  ctx->TryCancel();
  session->Cancel();
  input.join();
  return grpc::Status::OK;
}

}  // namespace vmm::api
