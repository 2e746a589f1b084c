#include "devices/virtio/vsock/vsock_device.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "devices/virtio/core/virtio_spec.h"
#include "devices/virtio/vsock/vsock_worker.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/log.h"

namespace vmm {
namespace virtio {

void VsockShared::Capture(const VsockHdr& hdr, absl::Span<const uint8_t> payload) {
  std::shared_ptr<PcapWriter> w;
  {
    std::lock_guard<std::mutex> lock(capture_mu);
    w = capture;
  }
  if (w == nullptr) return;
  absl::Status s = w->Write(hdr, payload);
  if (!s.ok()) {
    Log(LogLevel::kWarning, "virtio_vsock", "capture_stopped",
        {{"error", std::string(s.message())}});
    std::lock_guard<std::mutex> lock(capture_mu);
    if (capture == w) capture.reset();
  }
}

absl::StatusOr<std::unique_ptr<VsockDevice>> VsockDevice::Create(
    const VsockDeviceOptions& options) {
  if (options.guest_cid < kVsockMinGuestCid || options.guest_cid >= 0xffffffffull) {
    return absl::InvalidArgumentError(absl::StrFormat("vsock guest_cid=%d: must be in %d..%d",
                                                      options.guest_cid, kVsockMinGuestCid,
                                                      0xfffffffeull));
  }
  const uint16_t qs = options.queue_size;
  if (qs < 2 || qs > 1024 || (qs & (qs - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("vsock queue_size=%d: must be a power of 2 in 2..1024", qs));
  }
  if (options.conn_buf_bytes < 4096 || options.conn_buf_bytes > (64u << 20)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "vsock conn_buf_bytes=%d: must be in 4096..%d", options.conn_buf_bytes, 64u << 20));
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // Room for the "_<port>" suffix of guest->host connections too.
  if (options.uds_path.empty() || options.uds_path.size() + 11 >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("vsock uds_path \"%s\" is %d bytes: must be 1..%d", options.uds_path,
                        options.uds_path.size(), sizeof(addr.sun_path) - 12));
  }
  std::unique_ptr<VsockDevice> dev(new VsockDevice(options));
  std::memcpy(addr.sun_path, options.uds_path.data(), options.uds_path.size());
  dev->listen_fd_.Reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!dev->listen_fd_) return ErrnoStatus("vsock listening socket");
  ::unlink(options.uds_path.c_str());  // A stale socket from a killed VMM.
  if (::bind(dev->listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoStatus(absl::StrFormat("bind vsock socket %s", options.uds_path));
  }
  if (::listen(dev->listen_fd_.get(), 128) != 0) {
    return ErrnoStatus(absl::StrFormat("listen on vsock socket %s", options.uds_path));
  }
  for (int i = 0; i < 3; ++i) {
    Fd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!fd) return ErrnoStatus("eventfd for a virtio-vsock queue kick");
    dev->kick_fds_.push_back(std::move(fd));
  }
  dev->stop_fd_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!dev->stop_fd_) return ErrnoStatus("eventfd for virtio-vsock stop");
  dev->idle_stop_fd_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!dev->idle_stop_fd_) return ErrnoStatus("eventfd for the vsock idle acceptor");
  dev->StartIdleAcceptor();
  Log(LogLevel::kInfo, "virtio_vsock", "listening",
      {{"path", options.uds_path}, {"guest_cid", absl::StrFormat("%d", options.guest_cid)}});
  return dev;
}

VsockDevice::VsockDevice(const VsockDeviceOptions& options) : options_(options) {}

VsockDevice::~VsockDevice() {
  Reset();
  StopIdleAcceptor();
  ::unlink(options_.uds_path.c_str());
}

uint32_t VsockDevice::device_id() const { return kDeviceIdVsock; }

uint64_t VsockDevice::device_features() const {
  // VIRTIO_VSOCK_F_STREAM is bit 0 in 1.2 but implied when no feature bit
  // is offered (§5.10.3), which is what older Linux drivers expect.
  return Bit(kFVersion1) | Bit(kFEventIdx) | Bit(kFIndirectDesc);
}

void VsockDevice::ReadConfig(uint32_t offset, absl::Span<uint8_t> data) const {
  VsockConfig config{options_.guest_cid};
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(&config);
  for (size_t i = 0; i < data.size(); ++i) {
    const uint64_t at = uint64_t{offset} + i;
    data[i] = at < sizeof(config) ? bytes[at] : 0;
  }
}

void VsockDevice::WriteConfig(uint32_t /*offset*/, absl::Span<const uint8_t> /*data*/) {
  // guest_cid is read-only for the driver (§5.10.4).
}

absl::Status VsockDevice::Activate(Activation activation) {
  if (worker_ != nullptr) return absl::FailedPreconditionError("virtio-vsock: already active");
  bool have_rx = false, have_tx = false;
  for (const ActiveQueue& q : activation.queues) {
    if (q.index >= 3) {
      return absl::InvalidArgumentError(
          absl::StrFormat("virtio-vsock: queue index=%d >= 3", q.index));
    }
    have_rx |= q.index == kVsockRxQueue;
    have_tx |= q.index == kVsockTxQueue;
  }
  if (!have_rx || !have_tx) {
    return absl::InvalidArgumentError("virtio-vsock: activated without rx and tx queues");
  }
  StopIdleAcceptor();
  VsockWorker::Setup setup;
  setup.activation = std::move(activation);
  setup.options = options_;
  setup.listen_fd = listen_fd_.get();
  for (const Fd& fd : kick_fds_) setup.kick_fds.push_back(fd.get());
  setup.stop_fd = stop_fd_.get();
  setup.shared = shared_.get();
  absl::StatusOr<std::unique_ptr<VsockWorker>> w = VsockWorker::Create(std::move(setup));
  if (!w.ok()) {
    StartIdleAcceptor();
    return w.status();
  }
  worker_ = std::move(*w);
  VsockWorker* raw = worker_.get();
  thread_ = std::thread([raw] { raw->Run(); });
  return absl::OkStatus();
}

void VsockDevice::Notify(uint16_t index) {
  if (index >= kick_fds_.size()) return;
  const uint64_t one = 1;
  (void)!::write(kick_fds_[index].get(), &one, sizeof(one));
}

void VsockDevice::Reset() {
  if (worker_ == nullptr) return;
  const uint64_t one = 1;
  (void)!::write(stop_fd_.get(), &one, sizeof(one));
  thread_.join();
  worker_.reset();  // Closes every connection's socket.
  uint64_t v;
  (void)!::read(stop_fd_.get(), &v, sizeof(v));
  for (const Fd& fd : kick_fds_) (void)!::read(fd.get(), &v, sizeof(v));
  StartIdleAcceptor();
}

// No driver, no guest listener: a host connection gets the hybrid-vsock
// answer for a reset (the socket closed without an "OK" line) at once,
// rather than waiting in the backlog for a driver that may never come
// (a guest without virtio-vsock, or one still booting).
void VsockDevice::StartIdleAcceptor() {
  if (idle_thread_.joinable()) return;
  const int listen_fd = listen_fd_.get(), stop_fd = idle_stop_fd_.get();
  VsockShared* shared = shared_.get();
  idle_thread_ = std::thread([listen_fd, stop_fd, shared] {
    for (;;) {
      struct pollfd p[2] = {{listen_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
      if (::poll(p, 2, -1) < 0 && errno != EINTR) return;
      if (p[1].revents != 0) return;
      if (p[0].revents == 0) continue;
      Fd conn(::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!conn) continue;
      // Take the "CONNECT <port>" line first (briefly), so that the client
      // reads EOF rather than failing its write with EPIPE.
      struct pollfd c = {conn.get(), POLLIN, 0};
      if (::poll(&c, 1, 500) > 0) {
        char line[64];
        (void)!::read(conn.get(), line, sizeof(line));
      }
      shared->rst_sent.fetch_add(1);
    }
  });
}

void VsockDevice::StopIdleAcceptor() {
  if (!idle_thread_.joinable()) return;
  const uint64_t one = 1;
  (void)!::write(idle_stop_fd_.get(), &one, sizeof(one));
  idle_thread_.join();
  uint64_t v;
  (void)!::read(idle_stop_fd_.get(), &v, sizeof(v));
}

absl::Status VsockDevice::StartCapture(const std::string& path) {
  absl::StatusOr<std::unique_ptr<PcapWriter>> w = PcapWriter::OpenFile(path);
  if (!w.ok()) return w.status();
  std::lock_guard<std::mutex> lock(shared_->capture_mu);
  shared_->capture = std::move(*w);
  return absl::OkStatus();
}

absl::Status VsockDevice::StartCaptureFd(Fd fd) {
  absl::StatusOr<std::unique_ptr<PcapWriter>> w = PcapWriter::FromFd(std::move(fd));
  if (!w.ok()) return w.status();
  std::lock_guard<std::mutex> lock(shared_->capture_mu);
  shared_->capture = std::move(*w);
  return absl::OkStatus();
}

void VsockDevice::StopCapture() {
  std::shared_ptr<PcapWriter> old;
  std::lock_guard<std::mutex> lock(shared_->capture_mu);
  old = std::move(shared_->capture);
  // The file closes when the last in-progress Write drops its reference.
}

void VsockDevice::SetCaptureWriter(std::shared_ptr<PcapWriter> writer) {
  std::shared_ptr<PcapWriter> old;
  std::lock_guard<std::mutex> lock(shared_->capture_mu);
  old = std::move(shared_->capture);
  shared_->capture = std::move(writer);
}

bool VsockDevice::capturing() const {
  std::lock_guard<std::mutex> lock(shared_->capture_mu);
  return shared_->capture != nullptr;
}

VsockCounters VsockDevice::counters() const {
  VsockCounters c;
  c.connections_current = shared_->connections_current.load();
  c.connections_total = shared_->connections_total.load();
  c.rx_bytes = shared_->rx_bytes.load();
  c.tx_bytes = shared_->tx_bytes.load();
  c.rst_sent = shared_->rst_sent.load();
  c.packets_dropped = shared_->packets_dropped.load();
  c.buffered_bytes = shared_->buffered_bytes.load();
  return c;
}

}  // namespace virtio
}  // namespace vmm
