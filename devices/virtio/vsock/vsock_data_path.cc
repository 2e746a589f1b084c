// The data path of VsockWorker: host socket readiness, guest bytes written
// to host sockets (with credit updates back), host bytes and control
// packets put into guest rx buffers. Split from vsock_worker.cc, which keeps
// the event loop, connection setup and the tx (guest -> device) parser.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "devices/virtio/queue/buffer_slice.h"
#include "devices/virtio/vsock/vsock_worker.h"

namespace vmm {
namespace virtio {

namespace {
// VIRTIO_VSOCK_MAX_PKT_BUF_SIZE in Linux: the largest payload one rx buffer
// gets.
constexpr uint32_t kMaxRxPayload = 64 * 1024;
}  // namespace

void VsockWorker::OnSocket(Key key, uint32_t events) {
  auto it = conns_.find(key);
  if (it == conns_.end()) return;
  VsockConn& c = *it->second;
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && (c.epoll_events & EPOLLIN)) {
    // Read when an rx buffer is there (ProcessRx); until then not polled.
    c.rx_queued = true;
    rx_ready_.push_back(key);
    UpdateInterest(c);
  }
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
    if (c.buffered() > 0) FlushToHost(c);
  }
}

void VsockWorker::FlushToHost(VsockConn& c) {
  const Key key = MakeKey(c.local_port, c.peer_port);
  while (c.buffered() > 0) {
    const ssize_t n = ::send(c.fd.get(), c.to_host.data() + c.to_host_off, c.buffered(),
                             MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) return ResetConn(key, true);  // The host reader is gone.
    c.to_host_off += static_cast<size_t>(n);
    c.fwd_cnt += static_cast<uint32_t>(n);
    setup_.shared->buffered_bytes -= static_cast<uint64_t>(n);
  }
  if (c.buffered() == 0) {
    c.to_host.clear();
    c.to_host_off = 0;
    if (c.guest_no_send) ::shutdown(c.fd.get(), SHUT_WR);
  }
  MaybeCreditUpdate(c);
  UpdateInterest(c);
  MaybeClose(c);
}

void VsockWorker::MaybeCreditUpdate(VsockConn& c) {
  // Tell the guest about freed space once a quarter of the buffer is free
  // again since it last heard, so a sender never waits on stale credit.
  if (c.credit_update_queued || c.guest_no_send) return;
  if (c.fwd_cnt - c.last_sent_fwd_cnt >= setup_.options.conn_buf_bytes / 4) {
    c.credit_update_queued = true;
    QueueCtrl(MakeHdr(c, kVsockOpCreditUpdate));
  }
}

void VsockWorker::MaybeClose(VsockConn& c) {
  // Done when the guest will send nothing more (and all it sent was
  // written) and nothing more goes to it.
  if (c.guest_no_send && c.buffered() == 0 && (c.host_eof || c.guest_no_recv)) {
    ResetConn(MakeKey(c.local_port, c.peer_port), true);
  }
}

bool VsockWorker::WriteRx(const ChainBuffers& bufs, const VsockHdr& hdr,
                          absl::Span<const uint8_t> data) {
  std::vector<uint8_t> out(sizeof(hdr) + data.size());
  std::memcpy(out.data(), &hdr, sizeof(hdr));
  if (!data.empty()) std::memcpy(out.data() + sizeof(hdr), data.data(), data.size());
  return WriteRxFramed(bufs, out);
}

bool VsockWorker::WriteRxFramed(const ChainBuffers& bufs, absl::Span<const uint8_t> packet) {
  absl::Status s = WriteStream(*setup_.activation.memory, bufs.writable, packet);
  SplitQueue* q = queue(kVsockRxQueue);
  if (s.ok()) s = q->AddUsed(bufs.head, static_cast<uint32_t>(packet.size()));
  if (!s.ok()) {
    Broken(std::string(s.message()));
    return false;
  }
  for (size_t i = 0; i < queues_.size(); ++i) {
    if (queues_[i].index == kVsockRxQueue) dirty_[i] = true;
  }
  VsockHdr hdr;
  std::memcpy(&hdr, packet.data(), sizeof(hdr));
  setup_.shared->Capture(hdr, packet.subspan(sizeof(hdr)));
  return true;
}

void VsockWorker::ProcessRx() {
  SplitQueue* q = queue(kVsockRxQueue);
  std::vector<uint8_t> tmp;
  while (!broken_ && (!ctrl_.empty() || !rx_ready_.empty())) {
    // Find data to send before taking a buffer.
    VsockConn* data_conn = nullptr;
    if (ctrl_.empty()) {
      const Key key = rx_ready_.front();
      rx_ready_.pop_front();
      auto it = conns_.find(key);
      if (it == conns_.end()) continue;
      VsockConn& c = *it->second;
      c.rx_queued = false;
      const uint32_t credit = c.peer_credit() <= c.peer_buf_alloc ? c.peer_credit() : 0;
      if (c.state != VsockConn::State::kEstablished || c.host_eof || c.guest_no_recv ||
          credit == 0) {
        UpdateInterest(c);  // Polled again when credit comes back.
        continue;
      }
      data_conn = &c;
      c.rx_queued = true;
    }
    absl::StatusOr<std::optional<DescriptorChain>> chain = q->Pop();
    if (!chain.ok()) return Broken(std::string(chain.status().message()));
    if (!chain->has_value()) {
      if (data_conn != nullptr)
        rx_ready_.push_front(MakeKey(data_conn->local_port, data_conn->peer_port));
      absl::StatusOr<bool> more = q->EnableNotification();
      if (!more.ok()) return Broken(std::string(more.status().message()));
      if (*more) continue;
      return;  // Resumed by an rx kick.
    }
    absl::StatusOr<ChainBuffers> bufs = CollectChain(**chain);
    if (!bufs.ok()) return Broken(std::string(bufs.status().message()));
    // Data needs a header and at least one payload byte: with no room for
    // payload, recv() of 0 bytes would return 0 and read as the host's EOF.
    const uint64_t needed = sizeof(VsockHdr) + (data_conn != nullptr ? 1 : 0);
    if (bufs->writable_bytes < needed) {
      // Useless buffer: give it back empty and keep what we had to send.
      if (data_conn != nullptr)
        rx_ready_.push_front(MakeKey(data_conn->local_port, data_conn->peer_port));
      Dropped(data_conn != nullptr ? "rx buffer with no room for payload"
                                   : "rx buffer shorter than the header");
      absl::Status s = q->AddUsed(bufs->head, 0);
      if (!s.ok()) return Broken(std::string(s.message()));
      continue;
    }
    if (data_conn == nullptr) {
      VsockHdr hdr = ctrl_.front().hdr;
      ctrl_.pop_front();
      auto it = conns_.find(MakeKey(hdr.src_port, hdr.dst_port));
      if (it != conns_.end() && hdr.op != kVsockOpRst) {
        VsockConn& c = *it->second;
        hdr.fwd_cnt = c.fwd_cnt;  // Freshest state.
        c.last_sent_fwd_cnt = c.fwd_cnt;
        if (hdr.op == kVsockOpCreditUpdate) c.credit_update_queued = false;
      }
      if (!WriteRx(*bufs, hdr, {})) return;
      continue;
    }
    VsockConn& c = *data_conn;
    const Key key = MakeKey(c.local_port, c.peer_port);
    const uint64_t max = std::min<uint64_t>(
        {bufs->writable_bytes - sizeof(VsockHdr), c.peer_credit(), kMaxRxPayload});
    // The payload is received right behind room for its header: one copy
    // into guest memory, no staging buffer per packet.
    tmp.resize(sizeof(VsockHdr) + max);
    const ssize_t n = ::recv(c.fd.get(), tmp.data() + sizeof(VsockHdr), max, MSG_DONTWAIT);
    if (n > 0) {
      VsockHdr hdr = MakeHdr(c, kVsockOpRw);
      hdr.len = static_cast<uint32_t>(n);
      c.last_sent_fwd_cnt = c.fwd_cnt;
      c.tx_cnt += static_cast<uint32_t>(n);
      setup_.shared->rx_bytes += static_cast<uint64_t>(n);
      std::memcpy(tmp.data(), &hdr, sizeof(hdr));
      if (!WriteRxFramed(*bufs, absl::Span<const uint8_t>(tmp.data(), sizeof(hdr) + n))) return;
      rx_ready_.push_back(key);  // Round robin; stays queued while it has data.
      continue;
    }
    q->Undo();
    c.rx_queued = false;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      UpdateInterest(c);
      continue;
    }
    if (n < 0) {
      ResetConn(key, true);
      continue;
    }
    // EOF: the host will send no more (half close); the guest may still.
    c.host_eof = true;
    VsockHdr hdr = MakeHdr(c, kVsockOpShutdown);
    hdr.flags = kVsockShutdownSend;
    QueueCtrl(hdr);
    UpdateInterest(c);
    MaybeClose(c);
  }
}

}  // namespace virtio
}  // namespace vmm
