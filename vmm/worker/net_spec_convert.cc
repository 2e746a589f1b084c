#include "vmm/worker/net_spec_convert.h"

#include "absl/strings/str_cat.h"

namespace vmm::worker {

RateLimitConfig ToRateLimitConfig(const v1::RateLimit& limit) {
  RateLimitConfig c;
  c.bytes_per_second = limit.bytes_per_second();
  c.bytes_burst = limit.bytes_burst();
  c.packets_per_second = limit.packets_per_second();
  c.packets_burst = limit.packets_burst();
  return c;
}

absl::Status AddNetDevices(const v1::VmSpec& spec, MachineSpec* out) {
  for (int i = 0; i < spec.nics_size(); ++i) {
    const v1::Nic& nic = spec.nics(i);
    NicConfig c;
    c.tap = nic.tap();
    c.mac = nic.mac();
    c.num_queue_pairs = nic.num_queue_pairs() == 0 ? 1 : nic.num_queue_pairs();
    c.rx_rate_limit = ToRateLimitConfig(nic.rx_rate_limit());
    c.tx_rate_limit = ToRateLimitConfig(nic.tx_rate_limit());
    c.mtu = nic.mtu() == 0 ? 1500 : nic.mtu();
    out->nics.push_back(std::move(c));
  }
  out->has_vsock = spec.has_vsock();
  if (spec.has_vsock()) {
    if (spec.vsock().guest_cid() < 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("spec.vsock.guest_cid=", spec.vsock().guest_cid(), ": must be >= 3"));
    }
    out->vsock.guest_cid = spec.vsock().guest_cid();
    out->vsock.uds_path = spec.vsock().uds_path();
  }
  return absl::OkStatus();
}

}  // namespace vmm::worker
