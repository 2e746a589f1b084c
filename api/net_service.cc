// VmServiceImpl, network devices: UpdateNic and vsock capture.

#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "api/net_validation.h"
#include "api/vm_service.h"

namespace vmm::api {
namespace {

constexpr int kPollMs = 200;
constexpr size_t kChunk = 64 * 1024;

}  // namespace

grpc::Status VmServiceImpl::UpdateNic(grpc::ServerContext*, const v1::UpdateNicRequest* req,
                                      v1::Vm* out) {
  absl::Status valid = ValidateRef(req->vm(), "vm");
  if (valid.ok()) valid = ValidateRateLimit(req->rx_rate_limit(), "rx_rate_limit");
  if (valid.ok()) valid = ValidateRateLimit(req->tx_rate_limit(), "tx_rate_limit");
  if (!valid.ok()) return ToGrpc(valid);
  absl::StatusOr<v1::Vm> vm =
      manager_->UpdateNic(req->vm(), req->nic_index(), req->rx_rate_limit(), req->tx_rate_limit());
  if (!vm.ok()) return ToGrpc(vm.status());
  *out = std::move(vm).value();
  return grpc::Status::OK;
}

grpc::Status VmServiceImpl::StartCapture(grpc::ServerContext*, const v1::StartCaptureRequest* req,
                                         v1::CaptureResponse*) {
  absl::Status valid = ValidateRef(req->vm(), "vm");
  if (!valid.ok()) return ToGrpc(valid);
  if (req->path().empty() || req->path()[0] != '/') {
    return ToGrpc(absl::InvalidArgumentError(
        absl::StrCat("path=\"", req->path(), "\": give an absolute path for the pcap file")));
  }
  return ToGrpc(manager_->StartCapture(req->vm(), req->path()));
}

grpc::Status VmServiceImpl::StopCapture(grpc::ServerContext*, const v1::StopCaptureRequest* req,
                                        v1::CaptureResponse*) {
  absl::Status valid = ValidateRef(req->vm(), "vm");
  if (!valid.ok()) return ToGrpc(valid);
  return ToGrpc(manager_->StopCapture(req->vm()));
}

grpc::Status VmServiceImpl::StreamCapture(grpc::ServerContext* ctx,
                                          const v1::StreamCaptureRequest* req,
                                          grpc::ServerWriter<v1::CaptureChunk>* writer) {
  absl::Status valid = ValidateRef(req->vm(), "vm");
  if (!valid.ok()) return ToGrpc(valid);
  absl::StatusOr<Fd> fd = manager_->OpenCaptureStream(req->vm());
  if (!fd.ok()) return ToGrpc(fd.status());
  // Closing our end when the client goes makes the worker's next write fail
  // with EPIPE, which ends the capture there.
  std::string buf(kChunk, '\0');
  while (!ctx->IsCancelled() && !shutting_down_) {
    struct pollfd p = {fd->get(), POLLIN, 0};
    int n = ::poll(&p, 1, kPollMs);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    ssize_t got = ::read(fd->get(), buf.data(), buf.size());
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (got <= 0) break;  // The capture ended (stopped, replaced, VM gone).
    v1::CaptureChunk chunk;
    chunk.set_data(buf.data(), static_cast<size_t>(got));
    if (!writer->Write(chunk)) break;
  }
  return grpc::Status::OK;
}

}  // namespace vmm::api
