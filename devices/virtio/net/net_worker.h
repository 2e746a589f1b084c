#ifndef DEVICES_VIRTIO_NET_NET_WORKER_H_
#define DEVICES_VIRTIO_NET_NET_WORKER_H_

#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "devices/virtio/core/virtio_device.h"
#include "devices/virtio/net/net_counters.h"
#include "devices/virtio/net/net_header.h"
#include "devices/virtio/net/rate_limiter.h"
#include "devices/virtio/queue/split_queue.h"
#include "vmm/base/fd.h"

namespace vmm {
namespace virtio {

// The event loop of one queue pair (rx 2N, tx 2N+1) on one tap queue fd;
// pair 0 also serves the control queue. Runs on its own thread until the
// stop eventfd fires. Frames move straight between the tap and guest RAM
// (readv / writev with iovecs into guest memory).
class NetWorker {
 public:
  struct QueueRef {
    SplitQueue* queue = nullptr;  // Null: the driver left it disabled.
    uint16_t index = 0;
    int kick_fd = -1;
  };
  struct Setup {
    GuestMemory* memory = nullptr;
    VirtioTransportLink* link = nullptr;
    uint16_t pair = 0;
    int tap_fd = -1;
    QueueRef rx, tx, ctrl;
    int stop_fd = -1;
    bool mrg_rxbuf = false;
    bool mq = false;
    bool ctrl_rx = false;
    uint16_t max_pairs = 1;
    TxLimits tx_limits;
    uint32_t rx_max_frame = 0;  // Largest frame the tap may hand us.
    NetCounters* counters = nullptr;
    RateLimiter* rx_limiter = nullptr;
    RateLimiter* tx_limiter = nullptr;
    const std::atomic<uint16_t>* active_pairs = nullptr;
    // VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET accepted (pair 0 only).
    std::function<void(uint16_t)> set_pairs;
  };

  explicit NetWorker(Setup setup);
  void Run();

 private:
  struct RxBuf {
    uint16_t head;
    std::vector<iovec> iov;
    uint64_t capacity;
  };

  bool active() const;
  void ProcessRx();
  void ProcessTx();
  void ProcessCtrl();
  // Pops rx chains until `need` bytes are pending or the ring is empty.
  void FillRx(uint64_t need);
  bool DeliverOne();
  void TxOne(const ChainBuffers& bufs);
  uint8_t HandleCtrl(uint8_t cls, uint8_t cmd, const std::vector<uint8_t>& data);
  void Throttle(int timer_fd, std::chrono::nanoseconds wait);
  void UpdateTapInterest();
  void NotifyDirty();
  void Broken(const std::string& reason);

  Setup s_;
  Fd epoll_;
  Fd rx_timer_, tx_timer_;
  std::deque<RxBuf> rx_pending_;
  uint64_t rx_pending_bytes_ = 0;
  bool rx_need_buffers_ = false;
  bool rx_throttled_ = false;
  bool tx_throttled_ = false;
  bool tap_watched_ = true;
  bool rx_dirty_ = false, tx_dirty_ = false, ctrl_dirty_ = false;
  bool broken_ = false;
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_NET_NET_WORKER_H_
