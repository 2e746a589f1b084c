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

grpc::Status NetControlService::GetNetCounters(grpc::ServerContext*, const Empty*,
                                               NetCounterSet* out) {
  NetDeviceCounters c;
  absl::Status s = runner_->WithMachine([&](Machine* m) {
    if (m != nullptr) c = m->NetCounters();
    return absl::OkStatus();
  });
  if (!s.ok()) return ToGrpc(s);
  for (const NicCounterValues& n : c.nics) {
    NicCounterSet* o = out->add_nics();
    o->set_tap(n.tap);
    o->set_rx_packets(n.rx_packets);
    o->set_rx_bytes(n.rx_bytes);
    o->set_tx_packets(n.tx_packets);
    o->set_tx_bytes(n.tx_bytes);
    o->set_rx_dropped(n.rx_dropped);
    o->set_tx_dropped(n.tx_dropped);
    o->set_rate_limited(n.rate_limited);
  }
  // Between boots (or on a machine without the devices) the taps are still
  // known: report them with zero counts rather than nothing.
  if (c.nics.empty()) {
    for (const virtio::Tap& t : backends_->taps()) out->add_nics()->set_tap(t.name());
  }
  out->set_has_vsock(c.has_vsock);
  out->set_vsock_connections(c.vsock.connections);
  out->set_vsock_rx_bytes(c.vsock.rx_bytes);
  out->set_vsock_tx_bytes(c.vsock.tx_bytes);
  return grpc::Status::OK;
}

}  // namespace vmm::worker
