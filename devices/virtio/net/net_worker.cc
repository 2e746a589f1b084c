#include "devices/virtio/net/net_worker.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "devices/virtio/net/net_spec.h"
#include "devices/virtio/queue/buffer_slice.h"
#include "vmm/base/log.h"

namespace vmm {
namespace virtio {

namespace {

constexpr uint64_t kHdrLen = sizeof(VirtioNetHdr);
// epoll tags.
enum : uint64_t { kStop, kRxKick, kTxKick, kCtrlKick, kTap, kRxTimer, kTxTimer };

void Drain(int fd) {
  uint64_t v;
  (void)!::read(fd, &v, sizeof(v));
}

}  // namespace

NetWorker::NetWorker(Setup setup) : s_(std::move(setup)) {
  epoll_.Reset(::epoll_create1(EPOLL_CLOEXEC));
  rx_timer_.Reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  tx_timer_.Reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  auto add = [this](int fd, uint64_t tag) {
    if (fd < 0) return;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
  };
  add(s_.stop_fd, kStop);
  if (s_.rx.queue != nullptr) add(s_.rx.kick_fd, kRxKick);
  if (s_.tx.queue != nullptr) add(s_.tx.kick_fd, kTxKick);
  if (s_.ctrl.queue != nullptr) add(s_.ctrl.kick_fd, kCtrlKick);
  add(s_.tap_fd, kTap);
  add(rx_timer_.get(), kRxTimer);
  add(tx_timer_.get(), kTxTimer);
}

bool NetWorker::active() const {
  return !broken_ && s_.pair < s_.active_pairs->load(std::memory_order_acquire);
}

void NetWorker::Run() {
  if (!epoll_ || !rx_timer_ || !tx_timer_) {
    Broken("virtio-net: epoll/timerfd creation failed");
  }
  // Buffers made available before activation are served without a kick.
  ProcessCtrl();
  ProcessTx();
  ProcessRx();
  UpdateTapInterest();
  NotifyDirty();
  epoll_event events[8];
  for (;;) {
    const int n = ::epoll_wait(epoll_.get(), events, 8, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      Log(LogLevel::kError, "virtio_net", "epoll_failed", {{"error", std::strerror(errno)}});
      return;
    }
    for (int i = 0; i < n; ++i) {
      switch (events[i].data.u64) {
        case kStop:
          return;
        case kRxKick:
          Drain(s_.rx.kick_fd);
          rx_need_buffers_ = false;
          ProcessRx();
          break;
        case kTxKick:
          Drain(s_.tx.kick_fd);
          ProcessTx();
          break;
        case kCtrlKick:
          Drain(s_.ctrl.kick_fd);
          ProcessCtrl();
          break;
        case kTap:
          ProcessRx();
          break;
        case kRxTimer:
          Drain(rx_timer_.get());
          rx_throttled_ = false;
          ProcessRx();
          break;
        case kTxTimer:
          Drain(tx_timer_.get());
          tx_throttled_ = false;
          ProcessTx();
          break;
      }
    }
    UpdateTapInterest();
    NotifyDirty();
  }
}

void NetWorker::Broken(const std::string& reason) {
  if (broken_) return;
  broken_ = true;
  s_.link->MarkNeedsReset(reason);
}

void NetWorker::Throttle(int timer_fd, std::chrono::nanoseconds wait) {
  itimerspec its{};
  its.it_value.tv_sec = static_cast<time_t>(wait.count() / 1000000000);
  its.it_value.tv_nsec = static_cast<long>(wait.count() % 1000000000);
  if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  (void)::timerfd_settime(timer_fd, 0, &its, nullptr);
}

void NetWorker::UpdateTapInterest() {
  // The tap is level-triggered: watch it only when frames can be taken, so
  // a full rx ring or a paused limiter never spins the loop.
  const bool want = s_.rx.queue != nullptr && active() && !rx_need_buffers_ && !rx_throttled_;
  if (want == tap_watched_) return;
  epoll_event ev{};
  ev.events = want ? static_cast<uint32_t>(EPOLLIN) : 0u;
  ev.data.u64 = kTap;
  (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, s_.tap_fd, &ev);
  tap_watched_ = want;
}

void NetWorker::NotifyDirty() {
  for (auto [q, dirty] : {std::make_pair(&s_.rx, &rx_dirty_), std::make_pair(&s_.tx, &tx_dirty_),
                          std::make_pair(&s_.ctrl, &ctrl_dirty_)}) {
    if (!*dirty || q->queue == nullptr) continue;
    *dirty = false;
    absl::StatusOr<bool> notify = q->queue->ShouldNotify();
    if (!notify.ok()) return Broken(std::string(notify.status().message()));
    if (*notify) s_.link->SignalUsed(q->index);
  }
}

// ---- rx: tap -> guest -------------------------------------------------------

void NetWorker::FillRx(uint64_t need) {
  SplitQueue& queue = *s_.rx.queue;
  // Without MRG_RXBUF every frame takes exactly one chain (§5.1.6.3.1).
  while (!broken_ && (s_.mrg_rxbuf ? rx_pending_bytes_ < need : rx_pending_.empty())) {
    absl::StatusOr<std::optional<DescriptorChain>> chain = queue.Pop();
    if (!chain.ok()) return Broken(std::string(chain.status().message()));
    if (!chain->has_value()) return;
    const uint16_t head = (*chain)->head();
    absl::StatusOr<ChainBuffers> bufs = CollectChain(**chain);
    std::string bad;
    if (!bufs.ok()) {
      bad = std::string(bufs.status().message());
    } else if (!bufs->readable.empty()) {
      bad = "rx chain with a device-readable buffer";
    } else if (bufs->writable_bytes < (s_.mrg_rxbuf ? kHdrLen : kHdrLen + 14)) {
      bad = absl::StrFormat("rx chain of %d bytes: too small", bufs->writable_bytes);
    } else if (bufs->writable.size() > IOV_MAX) {
      bad = absl::StrFormat("rx chain of %d buffers: at most %d", bufs->writable.size(), IOV_MAX);
    }
    RxBuf rb{head, {}, 0};
    if (bad.empty()) {
      for (const Descriptor& d : bufs->writable) {
        absl::StatusOr<iovec> iov = s_.memory->HostIovecForIo(d.addr, d.len);
        if (!iov.ok()) {
          bad = std::string(iov.status().message());
          break;
        }
        if (iov->iov_len > 0) rb.iov.push_back(*iov);
      }
      rb.capacity = bufs->writable_bytes;
    }
    if (!bad.empty()) {
      // A broken chain is returned unused; other buffers go on working.
      s_.counters->rx_drops.fetch_add(1, std::memory_order_relaxed);
      Log(LogLevel::kDebug, "virtio_net", "rx_chain_dropped",
          {{"head", absl::StrFormat("%d", head)}, {"reason", bad}});
      absl::Status s = queue.AddUsed(head, 0);
      if (!s.ok()) return Broken(std::string(s.message()));
      rx_dirty_ = true;
      continue;
    }
    rx_pending_bytes_ += rb.capacity;
    rx_pending_.push_back(std::move(rb));
  }
}

bool NetWorker::DeliverOne() {
  const uint64_t need = kHdrLen + s_.rx_max_frame;
  FillRx(need);
  if (broken_ || rx_pending_.empty()) return false;
  // iovecs over as many pending chains as one frame may need.
  std::vector<iovec> iov;
  uint64_t cap = 0;
  size_t chains = 0;
  for (const RxBuf& b : rx_pending_) {
    if (iov.size() + b.iov.size() > IOV_MAX) break;
    iov.insert(iov.end(), b.iov.begin(), b.iov.end());
    cap += b.capacity;
    ++chains;
    if (!s_.mrg_rxbuf || cap >= need) break;
  }
  const ssize_t n = ::readv(s_.tap_fd, iov.data(), static_cast<int>(iov.size()));
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return false;
    // EFAULT / EINVAL: the frame did not fit the buffers; the kernel dropped
    // it and the buffers stay ours.
    s_.counters->rx_drops.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  if (static_cast<uint64_t>(n) < kHdrLen) {
    s_.counters->rx_drops.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  // Hand back the chains the frame filled, in order.
  uint64_t left = static_cast<uint64_t>(n);
  uint16_t used = 0;
  std::vector<std::pair<uint16_t, uint32_t>> done;
  while (left > 0 && used < chains) {
    const RxBuf& b = rx_pending_[used];
    const uint64_t take = std::min(left, b.capacity);
    done.emplace_back(b.head, static_cast<uint32_t>(take));
    left -= take;
    ++used;
  }
  // num_buffers sits at offset 10 of the header in the first buffer
  // (§5.1.6.4: 1 without MRG_RXBUF).
  const uint16_t num_buffers = used;
  {
    const iovec& v = rx_pending_.front().iov.front();
    if (v.iov_len >= kHdrLen) {
      std::memcpy(static_cast<uint8_t*>(v.iov_base) + 10, &num_buffers, sizeof(num_buffers));
    } else {
      // Header split over buffers: write it through the iovec list.
      uint64_t off = 10;
      const uint8_t* src = reinterpret_cast<const uint8_t*>(&num_buffers);
      size_t k = 0;
      for (const iovec& w : rx_pending_.front().iov) {
        while (k < 2 && off < w.iov_len) {
          static_cast<uint8_t*>(w.iov_base)[off++] = src[k++];
        }
        if (k == 2) break;
        off -= w.iov_len;
      }
    }
  }
  for (uint16_t i = 0; i < used; ++i) {
    rx_pending_bytes_ -= rx_pending_.front().capacity;
    rx_pending_.pop_front();
  }
  for (const auto& [head, len] : done) {
    absl::Status s = s_.rx.queue->AddUsed(head, len);
    if (!s.ok()) {
      Broken(std::string(s.message()));
      return false;
    }
  }
  rx_dirty_ = true;
  const uint64_t frame = static_cast<uint64_t>(n) - kHdrLen;
  s_.counters->rx_packets.fetch_add(1, std::memory_order_relaxed);
  s_.counters->rx_bytes.fetch_add(frame, std::memory_order_relaxed);
  s_.rx_limiter->Consume(frame);
  return true;
}

void NetWorker::ProcessRx() {
  if (s_.rx.queue == nullptr || !active() || rx_throttled_) return;
  for (int budget = 0;; ++budget) {
    if (budget == 256) {
      NotifyDirty();  // Let the driver start on what is there.
      budget = 0;
    }
    const std::chrono::nanoseconds wait = s_.rx_limiter->WaitTime();
    if (wait.count() > 0) {
      rx_throttled_ = true;
      s_.counters->rx_rate_limited.fetch_add(1, std::memory_order_relaxed);
      Throttle(rx_timer_.get(), wait);
      return;
    }
    if (rx_pending_.empty() || (s_.mrg_rxbuf && rx_pending_bytes_ < kHdrLen + s_.rx_max_frame)) {
      FillRx(kHdrLen + s_.rx_max_frame);
    }
    if (broken_) return;
    if (rx_pending_.empty()) {
      // Ask for a kick, then look once more (§2.7.10 race).
      absl::StatusOr<bool> more = s_.rx.queue->EnableNotification();
      if (!more.ok()) return Broken(std::string(more.status().message()));
      if (*more) continue;
      rx_need_buffers_ = true;
      return;
    }
    if (!DeliverOne()) return;
  }
}

// ---- tx: guest -> tap -------------------------------------------------------

void NetWorker::TxOne(const ChainBuffers& bufs) {
  auto drop = [this, &bufs](const std::string& why) {
    s_.counters->tx_drops.fetch_add(1, std::memory_order_relaxed);
    Log(LogLevel::kDebug, "virtio_net", "tx_frame_dropped",
        {{"head", absl::StrFormat("%d", bufs.head)}, {"reason", why}});
  };
  if (!bufs.writable.empty()) return drop("tx chain with a device-writable buffer");
  if (bufs.readable_bytes < kHdrLen) {
    return drop(absl::StrFormat("tx chain of %d bytes: no vnet header", bufs.readable_bytes));
  }
  VirtioNetHdr hdr;
  absl::Status s = ReadStream(*s_.memory, bufs.readable, 0,
                              absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&hdr), kHdrLen));
  if (!s.ok()) return drop(std::string(s.message()));
  const uint64_t frame_len = bufs.readable_bytes - kHdrLen;
  s = ValidateTxHeader(hdr, frame_len, s_.tx_limits);
  if (!s.ok()) return drop(std::string(s.message()));
  hdr.num_buffers = 0;  // Not used on transmit (§5.1.6.2).
  // The checked copy of the header goes to the tap, not guest memory the
  // guest could change after the check.
  std::vector<iovec> iov;
  iov.push_back({&hdr, kHdrLen});
  for (const Descriptor& d : SliceDescriptors(bufs.readable, kHdrLen, frame_len)) {
    absl::StatusOr<iovec> v = s_.memory->HostIovecForIo(d.addr, d.len);
    if (!v.ok()) return drop(std::string(v.status().message()));
    iov.push_back(*v);
  }
  if (iov.size() > IOV_MAX) {
    return drop(absl::StrFormat("tx frame in %d buffers: at most %d", iov.size() - 1, IOV_MAX - 1));
  }
  const ssize_t n = ::writev(s_.tap_fd, iov.data(), static_cast<int>(iov.size()));
  if (n < 0) return drop(absl::StrFormat("tap write: %s", std::strerror(errno)));
  s_.counters->tx_packets.fetch_add(1, std::memory_order_relaxed);
  s_.counters->tx_bytes.fetch_add(frame_len, std::memory_order_relaxed);
  s_.tx_limiter->Consume(frame_len);
}

void NetWorker::ProcessTx() {
  if (s_.tx.queue == nullptr || !active() || tx_throttled_) return;
  SplitQueue& queue = *s_.tx.queue;
  for (int budget = 0;; ++budget) {
    if (budget == 256) {
      NotifyDirty();
      budget = 0;
    }
    const std::chrono::nanoseconds wait = s_.tx_limiter->WaitTime();
    if (wait.count() > 0) {
      // Frames stay in the ring; the timer resumes the queue.
      tx_throttled_ = true;
      s_.counters->tx_rate_limited.fetch_add(1, std::memory_order_relaxed);
      Throttle(tx_timer_.get(), wait);
      return;
    }
    absl::StatusOr<std::optional<DescriptorChain>> chain = queue.Pop();
    if (!chain.ok()) return Broken(std::string(chain.status().message()));
    if (!chain->has_value()) {
      absl::StatusOr<bool> more = queue.EnableNotification();
      if (!more.ok()) return Broken(std::string(more.status().message()));
      if (*more) continue;
      return;
    }
    const uint16_t head = (*chain)->head();
    absl::StatusOr<ChainBuffers> bufs = CollectChain(**chain);
    if (bufs.ok()) {
      TxOne(*bufs);
    } else {
      s_.counters->tx_drops.fetch_add(1, std::memory_order_relaxed);
      Log(LogLevel::kDebug, "virtio_net", "tx_chain_dropped",
          {{"head", absl::StrFormat("%d", head)}, {"reason", std::string(bufs.status().message())}});
    }
    absl::Status s = queue.AddUsed(head, 0);
    if (!s.ok()) return Broken(std::string(s.message()));
    tx_dirty_ = true;
  }
}

// ---- control queue (§5.1.6.5) -----------------------------------------------

uint8_t NetWorker::HandleCtrl(uint8_t cls, uint8_t cmd, const std::vector<uint8_t>& data) {
  switch (cls) {
    case kNetCtrlMq: {
      if (!s_.mq || cmd != kNetCtrlMqVqPairsSet || data.size() < 2) return kNetErr;
      uint16_t pairs;
      std::memcpy(&pairs, data.data(), 2);
      if (pairs < kNetCtrlMqVqPairsMin || pairs > s_.max_pairs) return kNetErr;
      if (s_.set_pairs) s_.set_pairs(pairs);
      return kNetOk;
    }
    case kNetCtrlRx:
      // Promiscuous / allmulti / ...: the tap delivers everything anyway,
      // the guest filters (§5.1.6.5.1: the device MAY deliver more).
      return s_.ctrl_rx && cmd <= 5 && data.size() >= 1 ? kNetOk : kNetErr;
    case kNetCtrlMac:
      // MAC table / address set: accepted, not filtered (same reason).
      return cmd <= 1 ? kNetOk : kNetErr;
    default:
      return kNetErr;
  }
}

void NetWorker::ProcessCtrl() {
  if (s_.ctrl.queue == nullptr || broken_) return;
  SplitQueue& queue = *s_.ctrl.queue;
  for (;;) {
    absl::StatusOr<std::optional<DescriptorChain>> chain = queue.Pop();
    if (!chain.ok()) return Broken(std::string(chain.status().message()));
    if (!chain->has_value()) {
      absl::StatusOr<bool> more = queue.EnableNotification();
      if (!more.ok()) return Broken(std::string(more.status().message()));
      if (*more) continue;
      return;
    }
    const uint16_t head = (*chain)->head();
    absl::StatusOr<ChainBuffers> bufs = CollectChain(**chain);
    uint32_t used_len = 0;
    if (bufs.ok() && bufs->readable_bytes >= 2 && bufs->readable_bytes <= 4096 &&
        bufs->writable_bytes >= 1) {
      std::vector<uint8_t> cmd(bufs->readable_bytes);
      uint8_t ack = kNetErr;
      if (ReadStream(*s_.memory, bufs->readable, 0, absl::Span<uint8_t>(cmd)).ok()) {
        ack = HandleCtrl(cmd[0], cmd[1], std::vector<uint8_t>(cmd.begin() + 2, cmd.end()));
      }
      if (WriteStream(*s_.memory, bufs->writable, absl::Span<const uint8_t>(&ack, 1)).ok()) {
        used_len = 1;
      }
    } else {
      Log(LogLevel::kDebug, "virtio_net", "ctrl_dropped", {{"head", absl::StrFormat("%d", head)}});
    }
    absl::Status s = queue.AddUsed(head, used_len);
    if (!s.ok()) return Broken(std::string(s.message()));
    ctrl_dirty_ = true;
  }
}

}  // namespace virtio
}  // namespace vmm
