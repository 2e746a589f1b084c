#include "vmm/worker/net_control_service.h"

namespace vmm::worker {
namespace {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

RateLimitConfig FromProto(const RateLimitSetting& r) {
  RateLimitConfig c;
  c.bytes_per_second = r.bytes_per_second();
  c.bytes_burst = r.bytes_burst();
  c.packets_per_second = r.packets_per_second();
  c.packets_burst = r.packets_burst();
  return c;
}

}  // namespace

grpc::Status NetControlService::UpdateNic(grpc::ServerContext*, const NicUpdate* req, Empty*) {
  return ToGrpc(runner_->WithMachine([&](Machine* m) {
    return backends_->UpdateNic(req->nic_index(), FromProto(req->rx()), FromProto(req->tx()), m);
  }));
}

grpc::Status NetControlService::StartCapture(grpc::ServerContext*, const CaptureTarget* req,
                                             Empty*) {
  if (req->path().empty() || req->path()[0] != '/') {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "capture path=" + req->path() + ": must be an absolute path");
  }
  return ToGrpc(
      runner_->WithMachine([&](Machine* m) { return backends_->StartCapture(req->path(), m); }));
}

grpc::Status NetControlService::StopCapture(grpc::ServerContext*, const Empty*, Empty*) {
  return ToGrpc(runner_->WithMachine([&](Machine* m) { return backends_->StopCapture(m); }));
}

}  // namespace vmm::worker
