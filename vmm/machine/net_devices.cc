#include "vmm/machine/net_devices.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "devices/virtio/net/tap.h"

namespace vmm {
namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::array<uint8_t, 6>> ParseMac(const std::string& text) {
  std::array<uint8_t, 6> mac{};
  bool ok = text.size() == 17;
  for (int i = 0; ok && i < 6; ++i) {
    int hi = Hex(text[3 * i]), lo = Hex(text[3 * i + 1]);
    ok = hi >= 0 && lo >= 0 && (i == 0 || text[3 * i - 1] == ':');
    mac[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("mac ", text, ": not xx:xx:xx:xx:xx:xx"));
  return mac;
}

// The VM id is 16 hex digits; anything else is hashed (FNV-1a) so that a
// test machine without an id still gets a stable MAC.
uint64_t IdSeed(const std::string& vm_id) {
  uint64_t v = 0;
  if (vm_id.size() <= 16 && !vm_id.empty() && absl::SimpleHexAtoi(vm_id, &v)) return v;
  uint64_t h = 1469598103934665603ull;
  for (char c : vm_id) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

}  // namespace

virtio::RateLimit ToDeviceRateLimit(const RateLimitConfig& c) {
  virtio::RateLimit r;
  r.bytes.rate = c.bytes_per_second;
  r.bytes.burst = c.bytes_burst;
  r.packets.rate = c.packets_per_second;
  r.packets.burst = c.packets_burst;
  return r;
}

absl::StatusOr<std::unique_ptr<NetDevices>> NetDevices::Open(const MachineSpec& spec) {
  auto out = std::make_unique<NetDevices>();
  for (size_t i = 0; i < spec.nics.size(); ++i) {
    const NicConfig& nic = spec.nics[i];
    auto fail = [i](const absl::Status& s) {
      return absl::Status(s.code(), absl::StrCat("nics[", i, "]: ", s.message()));
    };
    absl::StatusOr<virtio::Tap> tap = [&]() -> absl::StatusOr<virtio::Tap> {
      if (!nic.tap_fds.empty()) return virtio::Tap::FromBorrowedFds(nic.tap, nic.tap_fds);
      virtio::TapOptions o;
      o.name = nic.tap;
      o.vm_id = IdSeed(spec.vm_id);
      o.nic_index = static_cast<uint32_t>(i);
      o.num_queues = static_cast<uint16_t>(nic.num_queue_pairs);
      o.mode = nic.tap.empty() ? virtio::TapOptions::Mode::kCreate
                               : virtio::TapOptions::Mode::kAttach;
      return virtio::Tap::Open(o);
    }();
    if (!tap.ok()) return fail(tap.status());
    virtio::NetDeviceOptions o;
    if (nic.mac.empty()) {
      o.mac = virtio::GenerateMac(IdSeed(spec.vm_id), static_cast<uint32_t>(i));
    } else {
      absl::StatusOr<std::array<uint8_t, 6>> mac = ParseMac(nic.mac);
      if (!mac.ok()) return fail(mac.status());
      o.mac = *mac;
    }
    if (nic.mtu < 68 || nic.mtu > 65535) {
      return fail(absl::InvalidArgumentError(absl::StrCat("mtu=", nic.mtu, ": must be 68..65535")));
    }
    o.mtu = static_cast<uint16_t>(nic.mtu);
    o.rx_limit = ToDeviceRateLimit(nic.rx_rate_limit);
    o.tx_limit = ToDeviceRateLimit(nic.tx_rate_limit);
    absl::StatusOr<std::unique_ptr<virtio::NetDevice>> dev =
        virtio::NetDevice::Create(std::move(tap).value(), o);
    if (!dev.ok()) return fail(dev.status());
    out->nics_.push_back(std::move(dev).value());
  }
  if (spec.has_vsock) {
    virtio::VsockDeviceOptions o;
    o.guest_cid = spec.vsock.guest_cid;
    o.uds_path = spec.vsock.uds_path;
    absl::StatusOr<std::unique_ptr<virtio::VsockDevice>> dev = virtio::VsockDevice::Create(o);
    if (!dev.ok()) {
      return absl::Status(dev.status().code(), absl::StrCat("vsock: ", dev.status().message()));
    }
    out->vsock_ = std::move(dev).value();
  }
  return out;
}

std::vector<NetDevices::Attachable> NetDevices::devices() const {
  std::vector<Attachable> out;
  for (const auto& nic : nics_) {
    virtio::NetDevice* d = nic.get();
    out.push_back({nic, [d](uint16_t q) { return d->kick_fd(q); }});
  }
  if (vsock_ != nullptr) {
    virtio::VsockDevice* d = vsock_.get();
    out.push_back({vsock_, [d](uint16_t q) { return d->kick_fd(q); }});
  }
  return out;
}

absl::Status NetDevices::SetNicRateLimit(uint32_t nic, const RateLimitConfig& rx,
                                         const RateLimitConfig& tx) {
  if (nic >= nics_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("nic_index=", nic, ": the machine has ", nics_.size(), " NIC(s)"));
  }
  nics_[nic]->SetRateLimit(ToDeviceRateLimit(rx), ToDeviceRateLimit(tx));
  return absl::OkStatus();
}

absl::Status NetDevices::SetVsockCapture(std::shared_ptr<virtio::PcapWriter> writer) {
  if (vsock_ == nullptr) return absl::FailedPreconditionError("the VM has no vsock device");
  vsock_->SetCaptureWriter(std::move(writer));
  return absl::OkStatus();
}

NetDeviceCounters NetDevices::Counters() const {
  NetDeviceCounters c;
  for (const auto& nic : nics_) {
    virtio::NetCountersSnapshot s = nic->counters();
    NicCounterValues v;
    v.tap = nic->tap().name();
    v.rx_packets = s.rx_packets;
    v.rx_bytes = s.rx_bytes;
    v.rx_dropped = s.rx_drops;
    v.tx_packets = s.tx_packets;
    v.tx_bytes = s.tx_bytes;
    v.tx_dropped = s.tx_drops;
    v.rate_limited = s.rx_rate_limited + s.tx_rate_limited;
    c.nics.push_back(std::move(v));
  }
  if (vsock_ != nullptr) {
    virtio::VsockCounters s = vsock_->counters();
    c.has_vsock = true;
    c.vsock.connections = s.connections_current;
    c.vsock.rx_bytes = s.rx_bytes;
    c.vsock.tx_bytes = s.tx_bytes;
  }
  return c;
}

}  // namespace vmm
