#ifndef DEVICES_VIRTIO_VSOCK_VSOCK_WORKER_H_
#define DEVICES_VIRTIO_VSOCK_VSOCK_WORKER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "devices/virtio/core/virtio_device.h"
#include "devices/virtio/vsock/vsock_device.h"
#include "devices/virtio/vsock/vsock_spec.h"
#include "vmm/base/fd.h"

namespace vmm {
namespace virtio {

// One stream connection between a host unix socket and a guest port.
// Credit (§5.10.6.3): the guest may send us at most
//   buf_alloc - (bytes received from it - fwd_cnt)
// and we may send it at most peer_buf_alloc - (tx_cnt - peer_fwd_cnt).
struct VsockConn {
  enum class State { kAwaitingResponse, kEstablished };
  State state = State::kAwaitingResponse;
  Fd fd;
  uint32_t local_port = 0;  // Host side.
  uint32_t peer_port = 0;   // Guest side.

  uint32_t peer_buf_alloc = 0;
  uint32_t peer_fwd_cnt = 0;
  uint32_t tx_cnt = 0;  // Bytes sent to the guest (wrapping, as the spec).

  uint32_t fwd_cnt = 0;            // Guest bytes written to the host socket.
  uint32_t last_sent_fwd_cnt = 0;  // fwd_cnt as last told to the guest.
  std::string to_host;             // Guest bytes not yet written (<= buf_alloc).
  size_t to_host_off = 0;

  bool host_eof = false;       // The host closed its write side.
  bool guest_no_send = false;  // SHUTDOWN with SEND from the guest.
  bool guest_no_recv = false;  // SHUTDOWN with RCV from the guest.
  bool rx_queued = false;      // In the worker's rx_ready_ list.
  bool credit_update_queued = false;
  bool credit_request_sent = false;
  uint32_t epoll_events = 0;  // Interest currently registered.

  uint32_t peer_credit() const { return peer_buf_alloc - (tx_cnt - peer_fwd_cnt); }
  size_t buffered() const { return to_host.size() - to_host_off; }
};

// The activated state of a virtio-vsock device: one epoll thread serving
// queue kicks, the listening socket, host sockets that have not yet sent
// their CONNECT line, and established connections.
class VsockWorker {
 public:
  struct Setup {
    Activation activation;
    VsockDeviceOptions options;
    int listen_fd = -1;
    std::vector<int> kick_fds;  // Indexed by queue index.
    int stop_fd = -1;
    VsockShared* shared = nullptr;
  };
  static absl::StatusOr<std::unique_ptr<VsockWorker>> Create(Setup setup);
  ~VsockWorker();

  // The thread body; returns when stop_fd becomes readable.
  void Run();

 private:
  explicit VsockWorker(Setup setup);
  using Key = uint64_t;  // local_port << 32 | peer_port.
  static Key MakeKey(uint32_t local, uint32_t peer) { return (uint64_t{local} << 32) | peer; }

  struct Pending {  // A host socket before its "CONNECT <port>\n".
    Fd fd;
    bool registered = false;  // In epoll (the line was not there at accept).
  };
  struct Ctrl {  // A control packet waiting for an rx buffer.
    VsockHdr hdr;
  };

  void Register(int fd, uint32_t events, uint64_t tag);
  void UpdateInterest(VsockConn& c);

  void AcceptHost();
  void ReadConnectLine(int fd);
  void ProcessTx();
  void HandlePacket(const VsockHdr& hdr, const std::vector<Descriptor>& readable,
                    uint64_t readable_bytes);
  void HandleRw(VsockConn& c, const VsockHdr& hdr, const std::vector<Descriptor>& readable);
  void GuestConnect(const VsockHdr& hdr);
  void ProcessRx();
  // Fills one rx chain from `c`'s socket; false if nothing was sent.
  bool SendData(VsockConn& c, const ChainBuffers& bufs, bool* consumed);
  void OnSocket(Key key, uint32_t events);
  void FlushToHost(VsockConn& c);
  void MaybeClose(VsockConn& c);
  void MaybeCreditUpdate(VsockConn& c);

  VsockHdr MakeHdr(const VsockConn& c, uint16_t op) const;
  void QueueCtrl(const VsockHdr& hdr);
  void QueueRst(uint32_t local_port, uint32_t peer_port);
  void ResetConn(Key key, bool send_rst);
  bool CanAcceptTx() const;
  bool WriteRx(const ChainBuffers& bufs, const VsockHdr& hdr, absl::Span<const uint8_t> data);
  // `packet` is a header followed by its payload.
  bool WriteRxFramed(const ChainBuffers& bufs, absl::Span<const uint8_t> packet);
  void Dropped(const char* reason);
  void Broken(const std::string& reason);
  void NotifyDirty();
  SplitQueue* queue(uint16_t index);

  Setup setup_;
  Fd epoll_fd_;
  std::vector<ActiveQueue>& queues_;
  std::vector<bool> dirty_;
  bool broken_ = false;

  absl::flat_hash_map<Key, std::unique_ptr<VsockConn>> conns_;
  absl::flat_hash_map<int, std::unique_ptr<Pending>> pending_;
  absl::flat_hash_map<int, Key> by_fd_;
  bool tx_throttled_ = false;
  std::deque<Ctrl> ctrl_;
  std::deque<Key> rx_ready_;
  uint32_t next_host_port_ = 1u << 30;
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_VSOCK_VSOCK_WORKER_H_
