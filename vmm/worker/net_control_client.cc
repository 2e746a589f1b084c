#include "vmm/worker/net_control_client.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "vmm/worker/control.grpc.pb.h"

namespace vmm::worker {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

void SetDeadline(grpc::ClientContext* ctx, absl::Duration timeout) {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

void ToProto(const RateLimitConfig& c, RateLimitSetting* out) {
  out->set_bytes_per_second(c.bytes_per_second);
  out->set_bytes_burst(c.bytes_burst);
  out->set_packets_per_second(c.packets_per_second);
  out->set_packets_burst(c.packets_burst);
}

class GrpcNetControlClient : public NetControlClient {
 public:
  explicit GrpcNetControlClient(const std::string& socket_path)
      : stub_(WorkerNetControl::NewStub(
            grpc::CreateChannel("unix:" + socket_path, grpc::InsecureChannelCredentials()))) {}

  absl::Status UpdateNic(uint32_t nic_index, const RateLimitConfig& rx, const RateLimitConfig& tx,
                         absl::Duration timeout) override {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, timeout);
    NicUpdate req;
    req.set_nic_index(nic_index);
    ToProto(rx, req.mutable_rx());
    ToProto(tx, req.mutable_tx());
    Empty resp;
    return FromGrpc(stub_->UpdateNic(&ctx, req, &resp));
  }

  absl::Status StartCapture(const std::string& path, absl::Duration timeout) override {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, timeout);
    CaptureTarget req;
    req.set_path(path);
    Empty resp;
    return FromGrpc(stub_->StartCapture(&ctx, req, &resp));
  }

  absl::Status StopCapture(absl::Duration timeout) override {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, timeout);
    Empty req, resp;
    return FromGrpc(stub_->StopCapture(&ctx, req, &resp));
  }

 private:
  std::unique_ptr<WorkerNetControl::Stub> stub_;
};

}  // namespace

std::unique_ptr<NetControlClient> NetControlClient::Create(const std::string& socket_path) {
  return std::make_unique<GrpcNetControlClient>(socket_path);
}

}  // namespace vmm::worker
