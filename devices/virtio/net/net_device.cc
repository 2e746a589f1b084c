#include "devices/virtio/net/net_device.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "devices/virtio/core/virtio_spec.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/log.h"

namespace vmm {
namespace virtio {

absl::StatusOr<std::unique_ptr<NetDevice>> NetDevice::Create(Tap tap,
                                                             const NetDeviceOptions& options) {
  const uint16_t qs = options.queue_size;
  if (qs < 2 || qs > 1024 || (qs & (qs - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("nic queue_size=%d: must be a power of 2 in 2..1024", qs));
  }
  if (options.mtu < 68 || options.mtu > kNetMaxGsoFrame - 14) {
    return absl::InvalidArgumentError(
        absl::StrFormat("nic mtu=%d: must be 68..%d", options.mtu, kNetMaxGsoFrame - 14));
  }
  if (tap.num_queues() == 0) return absl::InvalidArgumentError("nic: tap has no queue");
  if (options.mac[0] & 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("nic mac %s is a multicast address", FormatMac(options.mac)));
  }
  std::unique_ptr<NetDevice> dev(new NetDevice(std::move(tap), options));
  for (uint16_t i = 0; i < dev->num_queues(); ++i) {
    Fd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!fd) return ErrnoStatus("eventfd for a virtio-net queue kick");
    dev->kick_fds_.push_back(std::move(fd));
  }
  dev->stop_fd_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!dev->stop_fd_) return ErrnoStatus("eventfd for virtio-net stop");

  uint64_t f = Bit(kFVersion1) | Bit(kFIndirectDesc) | Bit(kFEventIdx) | Bit(kNetFMac) |
               Bit(kNetFMtu) | Bit(kNetFStatus) | Bit(kNetFCtrlVq) | Bit(kNetFCtrlRx);
  if (options.mrg_rxbuf) f |= Bit(kNetFMrgRxbuf);
  if (options.offloads) {
    f |= Bit(kNetFCsum) | Bit(kNetFGuestCsum) | Bit(kNetFHostTso4) | Bit(kNetFHostTso6) |
         Bit(kNetFHostUfo) | Bit(kNetFGuestTso4) | Bit(kNetFGuestTso6) | Bit(kNetFGuestUfo);
  }
  if (dev->pairs_ > 1) f |= Bit(kNetFMq);
  dev->features_ = f;

  std::memcpy(dev->config_.mac, options.mac.data(), 6);
  dev->config_.status = kNetSLinkUp;
  dev->config_.max_virtqueue_pairs = dev->pairs_;
  dev->config_.mtu = options.mtu;
  dev->rx_limiter_.Set(options.rx_limit);
  dev->tx_limiter_.Set(options.tx_limit);
  Log(LogLevel::kInfo, "virtio_net", "nic_created",
      {{"tap", dev->tap_.name()},
       {"mac", FormatMac(options.mac)},
       {"pairs", absl::StrFormat("%d", dev->pairs_)},
       {"mtu", absl::StrFormat("%d", options.mtu)}});
  return dev;
}

NetDevice::~NetDevice() { Reset(); }

void NetDevice::ReadConfig(uint32_t offset, absl::Span<uint8_t> data) const {
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(&config_);
  for (size_t i = 0; i < data.size(); ++i) {
    const uint64_t at = uint64_t{offset} + i;
    data[i] = at < sizeof(config_) ? bytes[at] : 0;
  }
}

void NetDevice::WriteConfig(uint32_t /*offset*/, absl::Span<const uint8_t> /*data*/) {
  // The MAC is writable only in legacy mode (§5.1.4.2); nothing else is.
}

void NetDevice::SetRateLimit(const RateLimit& rx, const RateLimit& tx) {
  rx_limiter_.Set(rx);
  tx_limiter_.Set(tx);
  // Paused queues re-read the limiter when their timer fires; a kick makes
  // a lifted limit take effect at once.
  const uint64_t one = 1;
  for (const Fd& fd : kick_fds_) (void)!::write(fd.get(), &one, sizeof(one));
}

void NetDevice::SetPairs(uint16_t pairs) {
  active_pairs_.store(pairs, std::memory_order_release);
  for (uint16_t p = 0; p < pairs_; ++p) {
    absl::Status s = tap_.SetQueueEnabled(p, p < pairs);
    if (!s.ok()) {
      Log(LogLevel::kWarning, "virtio_net", "tap_queue", {{"error", std::string(s.message())}});
    }
  }
  // Wake the pairs that just became active.
  const uint64_t one = 1;
  for (uint16_t q = 0; q < 2 * pairs_; ++q) {
    (void)!::write(kick_fds_[q].get(), &one, sizeof(one));
  }
}

absl::Status NetDevice::Activate(Activation activation) {
  if (activated()) return absl::FailedPreconditionError("virtio-net: already active");
  if (activation.queues.empty()) {
    return absl::InvalidArgumentError("virtio-net: activated with no ready queue");
  }
  for (const ActiveQueue& q : activation.queues) {
    if (q.index >= num_queues()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("virtio-net: queue index=%d >= %d", q.index, num_queues()));
    }
  }
  const uint64_t f = activation.features;
  auto has = [f](int bit) { return (f & Bit(bit)) != 0; };
  // Offloads the tap may hand to the guest: only what the guest accepts.
  absl::Status s = tap_.SetOffload(has(kNetFGuestCsum), has(kNetFGuestTso4), has(kNetFGuestTso6),
                                   has(kNetFGuestUfo));
  if (!s.ok()) return s;
  // Only the first pair runs until VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET
  // (§5.1.6.5.5).
  active_pairs_.store(1);
  for (uint16_t p = 0; p < pairs_; ++p) (void)tap_.SetQueueEnabled(p, p == 0);

  queues_ = std::move(activation.queues);
  auto find = [this](uint16_t index) -> SplitQueue* {
    for (ActiveQueue& q : queues_) {
      if (q.index == index) return &q.queue;
    }
    return nullptr;
  };
  TxLimits tx;
  tx.csum = has(kNetFCsum);
  tx.tso4 = has(kNetFHostTso4);
  tx.tso6 = has(kNetFHostTso6);
  tx.ufo = has(kNetFHostUfo);
  tx.max_frame = options_.mtu + kNetL2Overhead;
  const bool guest_gso = has(kNetFGuestTso4) || has(kNetFGuestTso6) || has(kNetFGuestUfo);
  const uint16_t ctrl_index = static_cast<uint16_t>(2 * pairs_);
  for (uint16_t p = 0; p < pairs_; ++p) {
    NetWorker::Setup w;
    w.memory = activation.memory;
    w.link = activation.link;
    w.pair = p;
    w.tap_fd = tap_.fd(p);
    const uint16_t rx = static_cast<uint16_t>(2 * p), txq = static_cast<uint16_t>(2 * p + 1);
    w.rx = {find(rx), rx, kick_fds_[rx].get()};
    w.tx = {find(txq), txq, kick_fds_[txq].get()};
    if (p == 0 && has(kNetFCtrlVq)) {
      w.ctrl = {find(ctrl_index), ctrl_index, kick_fds_[ctrl_index].get()};
    }
    w.stop_fd = stop_fd_.get();
    w.mrg_rxbuf = has(kNetFMrgRxbuf);
    w.mq = has(kNetFMq);
    w.ctrl_rx = has(kNetFCtrlRx);
    w.max_pairs = pairs_;
    w.tx_limits = tx;
    w.rx_max_frame = guest_gso ? kNetMaxGsoFrame : options_.mtu + kNetL2Overhead;
    w.counters = &counters_;
    w.rx_limiter = &rx_limiter_;
    w.tx_limiter = &tx_limiter_;
    w.active_pairs = &active_pairs_;
    if (p == 0) w.set_pairs = [this](uint16_t n) { SetPairs(n); };
    workers_.push_back(std::make_unique<NetWorker>(std::move(w)));
  }
  for (auto& worker : workers_) {
    NetWorker* raw = worker.get();
    threads_.emplace_back([raw] { raw->Run(); });
  }
  return absl::OkStatus();
}

void NetDevice::Notify(uint16_t index) {
  if (index >= kick_fds_.size()) return;
  const uint64_t one = 1;
  (void)!::write(kick_fds_[index].get(), &one, sizeof(one));
}

void NetDevice::Reset() {
  if (threads_.empty()) return;
  const uint64_t one = 1;
  (void)!::write(stop_fd_.get(), &one, sizeof(one));
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  workers_.clear();
  queues_.clear();
  uint64_t v;
  (void)!::read(stop_fd_.get(), &v, sizeof(v));
  for (const Fd& fd : kick_fds_) (void)!::read(fd.get(), &v, sizeof(v));
}

}  // namespace virtio
}  // namespace vmm
