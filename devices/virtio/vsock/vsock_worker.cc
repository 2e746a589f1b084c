#include "devices/virtio/vsock/vsock_worker.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "devices/virtio/queue/buffer_slice.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/log.h"

namespace vmm {
namespace virtio {

namespace {
// epoll tags: small numbers for fixed fds, tagged fds for sockets.
constexpr uint64_t kTagStop = 0;
constexpr uint64_t kTagKick = 1;  // + queue index (0..2)
constexpr uint64_t kTagListen = 8;
constexpr uint64_t kTagPending = 1ull << 62;  // | fd
constexpr uint64_t kTagConn = 1ull << 63;     // | fd

// VIRTIO_VSOCK_MAX_PKT_BUF_SIZE in Linux: the largest payload a driver sends
// or a device puts in one rx buffer.
constexpr uint32_t kMaxPayload = 64 * 1024;
// Control packets (RESPONSE, RST, CREDIT_UPDATE) waiting for rx buffers.
// Each is the answer to a tx packet or a host event; past this, tx is not
// processed until the guest gives rx buffers back (Firecracker does the
// same), so a guest that never reads cannot grow this queue.
constexpr size_t kMaxCtrl = 1024;
constexpr size_t kMaxPendingHost = 256;
constexpr size_t kMaxConnectLine = 64;  // "CONNECT 4294967295\n" is 19.
}  // namespace

absl::StatusOr<std::unique_ptr<VsockWorker>> VsockWorker::Create(Setup setup) {
  std::unique_ptr<VsockWorker> w(new VsockWorker(std::move(setup)));
  w->epoll_fd_.Reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!w->epoll_fd_) return ErrnoStatus("epoll_create1 for virtio-vsock");
  w->Register(w->setup_.stop_fd, EPOLLIN, kTagStop);
  for (const ActiveQueue& aq : w->queues_) {
    w->Register(w->setup_.kick_fds[aq.index], EPOLLIN, kTagKick + aq.index);
  }
  w->Register(w->setup_.listen_fd, EPOLLIN, kTagListen);
  return w;
}

VsockWorker::VsockWorker(Setup setup)
    : setup_(std::move(setup)), queues_(setup_.activation.queues), dirty_(queues_.size(), false) {}

VsockWorker::~VsockWorker() {
  // Reset drops every connection: the guest driver forgets them too.
  for (auto& [key, c] : conns_) {
    setup_.shared->buffered_bytes -= c->buffered();
    setup_.shared->connections_current--;
  }
  if (epoll_fd_) ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, setup_.listen_fd, nullptr);
}

void VsockWorker::Register(int fd, uint32_t events, uint64_t tag) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    Log(LogLevel::kError, "virtio_vsock", "epoll_add_failed", {{"error", std::strerror(errno)}});
  }
}

SplitQueue* VsockWorker::queue(uint16_t index) {
  for (ActiveQueue& aq : queues_) {
    if (aq.index == index) return &aq.queue;
  }
  return nullptr;
}

void VsockWorker::Run() {
  // A capture pipe whose reader went away must not kill the VMM: the write
  // fails with EPIPE and the capture stops.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  ProcessTx();
  ProcessRx();
  NotifyDirty();
  epoll_event events[64];
  for (;;) {
    const int n = ::epoll_wait(epoll_fd_.get(), events, 64, -1);
    if (n < 0) continue;  // EINTR
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kTagStop) return;
      if (tag & kTagConn) {
        const int fd = static_cast<int>(tag & 0xffffffff);
        auto it = by_fd_.find(fd);
        if (it != by_fd_.end()) OnSocket(it->second, events[i].events);
      } else if (tag & kTagPending) {
        ReadConnectLine(static_cast<int>(tag & 0xffffffff));
      } else if (tag == kTagListen) {
        AcceptHost();
      } else if (tag >= kTagKick && tag < kTagKick + 3) {
        const int q = static_cast<int>(tag - kTagKick);
        uint64_t v;
        (void)!::read(setup_.kick_fds[q], &v, sizeof(v));
        if (q == kVsockTxQueue) ProcessTx();
        // rx kicks (new buffers) are served by ProcessRx below; the event
        // queue is only ever filled by the driver.
      }
    }
    ProcessRx();
    if (tx_throttled_ && CanAcceptTx()) {
      ProcessTx();
      ProcessRx();
    }
    NotifyDirty();
  }
}

void VsockWorker::Broken(const std::string& reason) {
  if (broken_) return;
  broken_ = true;
  setup_.activation.link->MarkNeedsReset(reason);
}

void VsockWorker::Dropped(const char* reason) {
  setup_.shared->packets_dropped++;
  Log(LogLevel::kDebug, "virtio_vsock", "packet_dropped", {{"reason", reason}});
}

void VsockWorker::NotifyDirty() {
  for (size_t q = 0; q < queues_.size(); ++q) {
    if (!dirty_[q]) continue;
    dirty_[q] = false;
    absl::StatusOr<bool> notify = queues_[q].queue.ShouldNotify();
    if (!notify.ok()) return Broken(std::string(notify.status().message()));
    if (*notify) setup_.activation.link->SignalUsed(queues_[q].index);
  }
}

VsockHdr VsockWorker::MakeHdr(const VsockConn& c, uint16_t op) const {
  VsockHdr h{};
  h.src_cid = kVsockHostCid;
  h.dst_cid = setup_.options.guest_cid;
  h.src_port = c.local_port;
  h.dst_port = c.peer_port;
  h.type = kVsockTypeStream;
  h.op = op;
  h.buf_alloc = setup_.options.conn_buf_bytes;
  h.fwd_cnt = c.fwd_cnt;
  return h;
}

void VsockWorker::QueueCtrl(const VsockHdr& hdr) { ctrl_.push_back(Ctrl{hdr}); }

void VsockWorker::QueueRst(uint32_t local_port, uint32_t peer_port) {
  VsockConn tmp;
  tmp.local_port = local_port;
  tmp.peer_port = peer_port;
  QueueCtrl(MakeHdr(tmp, kVsockOpRst));
  setup_.shared->rst_sent++;
}

void VsockWorker::ResetConn(Key key, bool send_rst) {
  auto it = conns_.find(key);
  if (it == conns_.end()) return;
  VsockConn& c = *it->second;
  if (send_rst) QueueRst(c.local_port, c.peer_port);
  setup_.shared->buffered_bytes -= c.buffered();
  setup_.shared->connections_current--;
  by_fd_.erase(c.fd.get());
  conns_.erase(it);  // Closing the fd also removes it from epoll.
}

void VsockWorker::UpdateInterest(VsockConn& c) {
  uint32_t want = 0;
  if (c.state == VsockConn::State::kEstablished) {
    if (!c.host_eof && !c.guest_no_recv && !c.rx_queued && c.peer_credit() > 0 &&
        c.peer_credit() <= c.peer_buf_alloc) {
      want |= EPOLLIN;
    }
    if (c.buffered() > 0) want |= EPOLLOUT;
  }
  if (want == c.epoll_events) return;
  // No interest means not registered at all: a hung-up socket would
  // otherwise report EPOLLHUP on every wait.
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = kTagConn | static_cast<uint32_t>(c.fd.get());
  const int op = want == 0 ? EPOLL_CTL_DEL : (c.epoll_events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD);
  ::epoll_ctl(epoll_fd_.get(), op, c.fd.get(), &ev);
  c.epoll_events = want;
}

void VsockWorker::AcceptHost() {
  for (;;) {
    Fd fd(::accept4(setup_.listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) return;
    if (pending_.size() >= kMaxPendingHost) continue;  // Closed: too many half-open.
    const int raw = fd.get();
    pending_[raw] = std::make_unique<Pending>(Pending{std::move(fd), false});
    // A client writes its CONNECT line right after connect(): most often it
    // is already here, and the connection needs no epoll round trip.
    ReadConnectLine(raw);
    auto it = pending_.find(raw);
    if (it == pending_.end()) continue;
    // Edge-triggered: a partial CONNECT line is peeked, not consumed, so a
    // level-triggered wait would spin until the rest arrives.
    Register(raw, EPOLLIN | EPOLLRDHUP | EPOLLET, kTagPending | static_cast<uint32_t>(raw));
    it->second->registered = true;
  }
}

void VsockWorker::ReadConnectLine(int fd) {
  auto it = pending_.find(fd);
  if (it == pending_.end()) return;
  char buf[kMaxConnectLine];
  const ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  const char* nl = n > 0 ? static_cast<const char*>(std::memchr(buf, '\n', n)) : nullptr;
  if (nl == nullptr) {
    if (n > 0 && static_cast<size_t>(n) < sizeof(buf)) return;  // Wait for the rest.
    pending_.erase(it);                                         // EOF, error or an over-long line.
    return;
  }
  const size_t line_len = static_cast<size_t>(nl - buf) + 1;
  (void)!::recv(fd, buf, line_len, MSG_DONTWAIT);  // Consume exactly the line.
  absl::string_view line(buf, line_len - 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  uint32_t port = 0;
  if (!absl::ConsumePrefix(&line, "CONNECT ") || !absl::SimpleAtoi(line, &port) ||
      conns_.size() >= setup_.options.max_connections) {
    Log(LogLevel::kDebug, "virtio_vsock", "host_connect_refused", {{"line", std::string(line)}});
    pending_.erase(it);
    return;
  }
  Key key;
  do {
    if (++next_host_port_ == 0xffffffffu) next_host_port_ = 1u << 30;
    key = MakeKey(next_host_port_, port);
  } while (conns_.contains(key));
  if (it->second->registered) ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
  auto c = std::make_unique<VsockConn>();
  c->fd = std::move(it->second->fd);
  pending_.erase(it);
  c->local_port = next_host_port_;
  c->peer_port = port;
  c->state = VsockConn::State::kAwaitingResponse;
  QueueCtrl(MakeHdr(*c, kVsockOpRequest));
  by_fd_[c->fd.get()] = key;
  conns_[key] = std::move(c);
  setup_.shared->connections_current++;
  setup_.shared->connections_total++;
}

bool VsockWorker::CanAcceptTx() const { return ctrl_.size() < kMaxCtrl; }

void VsockWorker::ProcessTx() {
  SplitQueue* q = queue(kVsockTxQueue);
  if (q == nullptr) return;
  tx_throttled_ = false;
  while (!broken_) {
    for (;;) {
      if (!CanAcceptTx()) {
        tx_throttled_ = true;
        return;
      }
      absl::StatusOr<std::optional<DescriptorChain>> chain = q->Pop();
      if (!chain.ok()) return Broken(std::string(chain.status().message()));
      if (!chain->has_value()) break;
      absl::StatusOr<ChainBuffers> bufs = CollectChain(**chain);
      if (!bufs.ok()) return Broken(std::string(bufs.status().message()));
      if (bufs->readable_bytes < sizeof(VsockHdr)) {
        Dropped("tx chain shorter than the header");
      } else {
        VsockHdr hdr;
        absl::Status s =
            ReadStream(*setup_.activation.memory, bufs->readable, 0,
                       absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&hdr), sizeof(hdr)));
        if (!s.ok()) return Broken(std::string(s.message()));
        HandlePacket(hdr, bufs->readable, bufs->readable_bytes);
      }
      absl::Status s = q->AddUsed(bufs->head, 0);
      if (!s.ok()) return Broken(std::string(s.message()));
      for (size_t i = 0; i < queues_.size(); ++i) {
        if (queues_[i].index == kVsockTxQueue) dirty_[i] = true;
      }
    }
    absl::StatusOr<bool> more = q->EnableNotification();
    if (!more.ok()) return Broken(std::string(more.status().message()));
    if (!*more) return;
  }
}

void VsockWorker::HandlePacket(const VsockHdr& hdr, const std::vector<Descriptor>& readable,
                               uint64_t readable_bytes) {
  const uint64_t avail = readable_bytes - sizeof(VsockHdr);
  const bool len_ok = hdr.len <= avail && hdr.len <= kMaxPayload;
  std::vector<uint8_t> payload(len_ok ? hdr.len : std::min<uint64_t>(avail, kMaxPayload));
  absl::Status s = ReadStream(*setup_.activation.memory, readable, sizeof(VsockHdr),
                              absl::Span<uint8_t>(payload));
  if (!s.ok()) return Broken(std::string(s.message()));
  setup_.shared->Capture(hdr, payload);

  if (hdr.src_cid != setup_.options.guest_cid || hdr.dst_cid != kVsockHostCid) {
    // Not a packet of this guest to the host: no connection to reset.
    return Dropped("wrong source or destination CID");
  }
  const Key key = MakeKey(hdr.dst_port, hdr.src_port);
  auto it = conns_.find(key);
  VsockConn* c = it == conns_.end() ? nullptr : it->second.get();
  auto refuse = [&](const char* reason) {
    Dropped(reason);
    if (c != nullptr) {
      ResetConn(key, true);
    } else if (hdr.op != kVsockOpRst) {
      QueueRst(hdr.dst_port, hdr.src_port);  // §5.10.6.4: never answer RST with RST.
    }
  };
  if (!len_ok) return refuse("len beyond the buffer or above 64 KiB");
  if (hdr.type != kVsockTypeStream) return refuse("socket type is not stream");
  if (hdr.op == kVsockOpRequest) {
    if (c != nullptr) return refuse("request on an existing connection");
    return GuestConnect(hdr);
  }
  if (c == nullptr) {
    if (hdr.op == kVsockOpRst) return;  // Already gone.
    return refuse("packet for no connection");
  }
  // Every packet carries the sender's buffer state (§5.10.6.3).
  c->peer_buf_alloc = hdr.buf_alloc;
  c->peer_fwd_cnt = hdr.fwd_cnt;
  switch (hdr.op) {
    case kVsockOpResponse: {
      if (c->state != VsockConn::State::kAwaitingResponse) return refuse("unexpected response");
      c->state = VsockConn::State::kEstablished;
      const std::string ok = absl::StrCat("OK ", c->local_port, "\n");
      // Into an empty socket buffer: a short write means the host is gone.
      if (::send(c->fd.get(), ok.data(), ok.size(), MSG_DONTWAIT | MSG_NOSIGNAL) !=
          static_cast<ssize_t>(ok.size())) {
        return ResetConn(key, true);
      }
      break;
    }
    case kVsockOpRst:
      return ResetConn(key, false);
    case kVsockOpShutdown:
      c->guest_no_recv |= (hdr.flags & kVsockShutdownRcv) != 0;
      c->guest_no_send |= (hdr.flags & kVsockShutdownSend) != 0;
      FlushToHost(*c);
      return;  // FlushToHost closes when both sides are done.
    case kVsockOpRw:
      if (c->state != VsockConn::State::kEstablished) return refuse("data before response");
      return HandleRw(*c, hdr, readable);
    case kVsockOpCreditUpdate:
      break;
    case kVsockOpCreditRequest:
      if (!c->credit_update_queued) {
        c->credit_update_queued = true;
        QueueCtrl(MakeHdr(*c, kVsockOpCreditUpdate));
      }
      break;
    default:
      return refuse("unknown op");
  }
  UpdateInterest(*c);
}

void VsockWorker::HandleRw(VsockConn& c, const VsockHdr& hdr,
                           const std::vector<Descriptor>& readable) {
  const Key key = MakeKey(c.local_port, c.peer_port);
  if (c.guest_no_send) {
    Dropped("data after shutdown");
    return ResetConn(key, true);
  }
  const uint64_t room = setup_.options.conn_buf_bytes -
                        std::min<uint64_t>(c.buffered(), setup_.options.conn_buf_bytes);
  if (hdr.len > room) {
    Dropped("credit overrun");
    return ResetConn(key, true);
  }
  if (c.to_host_off > 0 && c.to_host_off == c.to_host.size()) {
    c.to_host.clear();
    c.to_host_off = 0;
  }
  const size_t at = c.to_host.size();
  c.to_host.resize(at + hdr.len);
  absl::Status s =
      ReadStream(*setup_.activation.memory, readable, sizeof(VsockHdr),
                 absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&c.to_host[at]), hdr.len));
  if (!s.ok()) return Broken(std::string(s.message()));
  setup_.shared->tx_bytes += hdr.len;
  setup_.shared->buffered_bytes += hdr.len;
  FlushToHost(c);
}

void VsockWorker::GuestConnect(const VsockHdr& hdr) {
  if (conns_.size() >= setup_.options.max_connections) {
    Dropped("connection limit");
    return QueueRst(hdr.dst_port, hdr.src_port);
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = absl::StrCat(setup_.options.uds_path, "_", hdr.dst_port);
  std::memcpy(addr.sun_path, path.data(), std::min(path.size(), sizeof(addr.sun_path) - 1));
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  // Non-blocking: a full backlog is EAGAIN, answered with RST at once.
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Log(LogLevel::kDebug, "virtio_vsock", "guest_connect_refused",
        {{"path", path}, {"error", std::strerror(errno)}});
    return QueueRst(hdr.dst_port, hdr.src_port);
  }
  auto c = std::make_unique<VsockConn>();
  c->fd = std::move(fd);
  c->local_port = hdr.dst_port;
  c->peer_port = hdr.src_port;
  c->state = VsockConn::State::kEstablished;
  c->peer_buf_alloc = hdr.buf_alloc;
  c->peer_fwd_cnt = hdr.fwd_cnt;
  QueueCtrl(MakeHdr(*c, kVsockOpResponse));
  VsockConn& ref = *c;
  const Key key = MakeKey(c->local_port, c->peer_port);
  by_fd_[c->fd.get()] = key;
  conns_[key] = std::move(c);
  setup_.shared->connections_current++;
  setup_.shared->connections_total++;
  UpdateInterest(ref);
}

}  // namespace virtio
}  // namespace vmm
