#include "tests/vsock/vsock_rig.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/status_macros.h"

namespace vmm {
namespace virtio {
namespace testing {

std::string VsockRig::TempSocketPath(const std::string& tag) {
  static std::atomic<int> n{0};
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string base = dir != nullptr ? dir : "/tmp";
  // sun_path is 108 bytes; bazel's TEST_TMPDIR can be long.
  if (base.size() > 60) base = "/tmp";
  return absl::StrCat(base, "/vs", tag, "_", ::getpid(), "_", n++);
}

absl::StatusOr<std::unique_ptr<VsockRig>> VsockRig::Create(VsockDeviceOptions options,
                                                           uint32_t rx_buf_bytes,
                                                           uint16_t rx_bufs) {
  std::unique_ptr<VsockRig> rig(new VsockRig());
  absl::StatusOr<std::unique_ptr<GuestMemory>> mem =
      GuestMemory::Create({{GuestAddress(0), 64ull << 20}});
  if (!mem.ok()) return mem.status();
  rig->memory_ = std::move(*mem);
  if (options.guest_cid == 0) options.guest_cid = kGuestCid;
  absl::StatusOr<std::unique_ptr<VsockDevice>> dev = VsockDevice::Create(options);
  if (!dev.ok()) return dev.status();
  rig->device_ = std::move(*dev);
  rig->irq_ = std::make_shared<WaitableIrq>();
  rig->transport_ =
      std::make_unique<VirtioMmioTransport>(rig->device_, rig->memory_.get(), rig->irq_);
  rig->driver_ = std::make_unique<GuestDriver>(rig->memory_.get(), rig->transport_.get(),
                                               GuestAddress(0x1000));
  GuestDriver& d = *rig->driver_;
  absl::StatusOr<uint64_t> f = d.Negotiate(~0ull);
  if (!f.ok()) return f.status();
  for (uint16_t q = 0; q < 3; ++q) {
    absl::Status s = d.SetupQueue(q, 256);
    if (!s.ok()) return s;
  }
  rig->rx_buf_bytes_ = rx_buf_bytes;
  for (uint16_t i = 0; i < rx_bufs; ++i) rig->PostRx(d.Alloc(rx_buf_bytes));
  rig->tx_hdr_ = d.Alloc(64);
  rig->tx_data_ = d.Alloc(kTxDataBytes);
  d.DriverOk();
  if (!(d.status() & 4)) return absl::InternalError("DRIVER_OK did not stick");
  return rig;
}

VsockRig::~VsockRig() { transport_.reset(); }

void VsockRig::PostRx(GuestAddress addr) {
  const uint16_t head = driver_->AddChain(0, {{addr, rx_buf_bytes_, true}});
  rx_heads_[head] = addr.value();
  driver_->Kick(0);
}

VsockHdr VsockRig::Hdr(uint16_t op, uint32_t src_port, uint32_t dst_port, uint32_t len,
                       uint32_t buf_alloc, uint32_t fwd_cnt) const {
  VsockHdr h{};
  h.src_cid = device_->options().guest_cid;
  h.dst_cid = kVsockHostCid;
  h.src_port = src_port;
  h.dst_port = dst_port;
  h.len = len;
  h.type = kVsockTypeStream;
  h.op = op;
  h.buf_alloc = buf_alloc;
  h.fwd_cnt = fwd_cnt;
  return h;
}

absl::Status VsockRig::Send(const VsockHdr& hdr, const std::string& data, int64_t desc_len) {
  if (data.size() > kTxDataBytes) return absl::InvalidArgumentError("tx data too long");
  absl::Status s = memory_->WriteObj(tx_hdr_, hdr);
  if (!s.ok()) return s;
  s = memory_->Write(tx_data_, absl::Span<const uint8_t>(
                                   reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  if (!s.ok()) return s;
  std::vector<Buf> bufs = {{tx_hdr_, sizeof(VsockHdr), false}};
  const uint32_t dl = desc_len >= 0 ? static_cast<uint32_t>(desc_len) : data.size();
  if (dl > 0) bufs.push_back({tx_data_, dl, false});
  driver_->AddChain(1, bufs);
  driver_->Kick(1);
  absl::StatusOr<VirtqUsedElem> e = driver_->WaitUsed(1);
  return e.status();
}

absl::Status VsockRig::SendRaw(const std::string& bytes) {
  absl::Status s = memory_->Write(
      tx_data_,
      absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (!s.ok()) return s;
  driver_->AddChain(1, {{tx_data_, static_cast<uint32_t>(bytes.size()), false}});
  driver_->Kick(1);
  return driver_->WaitUsed(1).status();
}

absl::StatusOr<VsockPacket> VsockRig::Recv(std::chrono::milliseconds timeout) {
  absl::StatusOr<VirtqUsedElem> e = driver_->WaitUsed(0, timeout);
  if (!e.ok()) return e.status();
  auto it = rx_heads_.find(static_cast<uint16_t>(e->id));
  if (it == rx_heads_.end()) return absl::InternalError("used rx head not posted");
  const GuestAddress addr(it->second);
  rx_heads_.erase(it);
  VsockPacket p;
  absl::Status s;
  if (e->len < sizeof(VsockHdr) || e->len > rx_buf_bytes_) {
    s = absl::InternalError(absl::StrFormat("rx used len=%d", e->len));
  } else {
    absl::StatusOr<VsockHdr> h = memory_->ReadObj<VsockHdr>(addr);
    if (!h.ok()) return h.status();
    p.hdr = *h;
    p.data.resize(e->len - sizeof(VsockHdr));
    s = memory_->Read(
        GuestAddress(addr.value() + sizeof(VsockHdr)),
        absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(p.data.data()), p.data.size()));
    if (s.ok() && p.hdr.len != p.data.size()) {
      s = absl::InternalError(absl::StrFormat("hdr.len=%d but used len=%d", p.hdr.len, e->len));
    }
  }
  PostRx(addr);
  if (!s.ok()) return s;
  return p;
}

absl::StatusOr<Fd> ConnectUnix(const std::string& uds) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, uds.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoStatus(absl::StrCat("connect ", uds));
  }
  return fd;
}

absl::StatusOr<Fd> HostConnect(const std::string& uds, uint32_t port) {
  ASSIGN_OR_RETURN(Fd fd, ConnectUnix(uds));
  RETURN_IF_ERROR(WriteAll(fd.get(), absl::StrCat("CONNECT ", port, "\n")));
  return fd;
}

static bool WaitReadable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

absl::StatusOr<std::string> ReadLine(int fd, std::chrono::milliseconds timeout) {
  std::string line;
  for (;;) {
    if (!WaitReadable(fd, timeout)) return absl::DeadlineExceededError("no line");
    char c;
    const ssize_t n = ::read(fd, &c, 1);
    if (n <= 0) return absl::UnavailableError(absl::StrCat("EOF after \"", line, "\""));
    if (c == '\n') return line;
    line.push_back(c);
  }
}

absl::StatusOr<Fd> Listen(const std::string& path) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ::unlink(path.c_str());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoStatus(absl::StrCat("bind ", path));
  }
  if (::listen(fd.get(), 128) != 0) return ErrnoStatus("listen");
  return fd;
}

absl::Status WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoStatus("write to host socket");
    off += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadExactly(int fd, size_t n, std::chrono::milliseconds timeout) {
  std::string out(n, '\0');
  size_t off = 0;
  while (off < n) {
    if (!WaitReadable(fd, timeout)) {
      return absl::DeadlineExceededError(absl::StrFormat("read %d of %d bytes", off, n));
    }
    const ssize_t r = ::read(fd, &out[off], n - off);
    if (r <= 0) return absl::UnavailableError(absl::StrFormat("EOF at %d of %d bytes", off, n));
    off += static_cast<size_t>(r);
  }
  return out;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

uint64_t Checksum(const std::string& s) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace testing
}  // namespace virtio
}  // namespace vmm
