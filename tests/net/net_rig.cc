#include "tests/net/net_rig.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "absl/strings/str_format.h"
#include "devices/virtio/core/virtio_spec.h"
#include "devices/virtio/net/net_spec.h"
#include "vmm/base/errno_status.h"

namespace vmm {
namespace net_testing {

using virtio::testing::Buf;

namespace {

void WriteProc(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  (void)!::write(fd, value.data(), value.size());
  ::close(fd);
}

ifreq Ifreq(const std::string& name) {
  ifreq r;
  std::memset(&r, 0, sizeof(r));
  std::strncpy(r.ifr_name, name.c_str(), IFNAMSIZ - 1);
  return r;
}

sockaddr_in Sin(uint32_t ip, uint16_t port = 0) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(ip);
  a.sin_port = htons(port);
  return a;
}

absl::Status SetUp(int s, const std::string& name) {
  ifreq r = Ifreq(name);
  if (::ioctl(s, SIOCGIFFLAGS, &r) < 0) return ErrnoStatus("SIOCGIFFLAGS " + name);
  r.ifr_flags |= IFF_UP;
  if (::ioctl(s, SIOCSIFFLAGS, &r) < 0) return ErrnoStatus("SIOCSIFFLAGS " + name);
  return absl::OkStatus();
}

}  // namespace

absl::Status EnterNewNetns() {
  if (::unshare(CLONE_NEWNET) < 0) return ErrnoStatus("unshare(CLONE_NEWNET) (needs root)");
  Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return ErrnoStatus("socket");
  // No IPv6 chatter (router/neighbour solicitations) on the test taps.
  WriteProc("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
  WriteProc("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
  return SetUp(s.get(), "lo");
}

absl::Status ConfigureHost(const std::string& ifname, uint32_t ip, int prefix) {
  Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return ErrnoStatus("socket");
  ifreq r = Ifreq(ifname);
  sockaddr_in a = Sin(ip);
  std::memcpy(&r.ifr_addr, &a, sizeof(a));
  if (::ioctl(s.get(), SIOCSIFADDR, &r) < 0) return ErrnoStatus("SIOCSIFADDR " + ifname);
  r = Ifreq(ifname);
  a = Sin(prefix == 0 ? 0 : ~0u << (32 - prefix));
  std::memcpy(&r.ifr_netmask, &a, sizeof(a));
  if (::ioctl(s.get(), SIOCSIFNETMASK, &r) < 0) return ErrnoStatus("SIOCSIFNETMASK " + ifname);
  return SetUp(s.get(), ifname);
}

absl::Status AddNeighbor(const std::string& ifname, uint32_t ip, const Mac& mac) {
  Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return ErrnoStatus("socket");
  arpreq req;
  std::memset(&req, 0, sizeof(req));
  sockaddr_in a = Sin(ip);
  std::memcpy(&req.arp_pa, &a, sizeof(a));
  req.arp_ha.sa_family = ARPHRD_ETHER;
  std::memcpy(req.arp_ha.sa_data, mac.data(), 6);
  req.arp_flags = ATF_PERM | ATF_COM;
  std::strncpy(req.arp_dev, ifname.c_str(), sizeof(req.arp_dev) - 1);
  if (::ioctl(s.get(), SIOCSARP, &req) < 0) return ErrnoStatus("SIOCSARP " + ifname);
  return absl::OkStatus();
}

absl::StatusOr<Mac> InterfaceMac(const std::string& ifname) {
  Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return ErrnoStatus("socket");
  ifreq r = Ifreq(ifname);
  if (::ioctl(s.get(), SIOCGIFHWADDR, &r) < 0) return ErrnoStatus("SIOCGIFHWADDR " + ifname);
  Mac m;
  std::memcpy(m.data(), r.ifr_hwaddr.sa_data, 6);
  return m;
}

absl::StatusOr<Fd> UdpSocket(uint32_t ip, uint16_t port, int timeout_ms) {
  Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return ErrnoStatus("socket");
  int big = 64 << 20;
  (void)::setsockopt(s.get(), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
  (void)::setsockopt(s.get(), SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  (void)::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in a = Sin(ip, port);
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) < 0) {
    return ErrnoStatus(absl::StrFormat("bind udp port %d", port));
  }
  return s;
}

absl::StatusOr<std::unique_ptr<NetRig>> NetRig::Create(const RigOptions& options) {
  std::unique_ptr<NetRig> rig(new NetRig());
  absl::Status s = rig->Init(options);
  if (!s.ok()) return s;
  return rig;
}

absl::Status NetRig::Init(const RigOptions& o) {
  pairs_ = o.pairs;
  queue_size_ = o.queue_size;
  absl::StatusOr<std::unique_ptr<GuestMemory>> mem =
      GuestMemory::Create({{GuestAddress(0), 256ull << 20}});
  if (!mem.ok()) return mem.status();
  memory_ = std::move(*mem);
  virtio::TapOptions topt;
  topt.vm_id = 1;
  topt.num_queues = o.pairs;
  absl::StatusOr<virtio::Tap> tap = virtio::Tap::Open(topt);
  if (!tap.ok()) return tap.status();
  ifname_ = tap->name();
  virtio::NetDeviceOptions dopt = o.device;
  dopt.mac = virtio::GenerateMac(1, 0);
  dopt.queue_size = o.queue_size;
  guest_mac_ = dopt.mac;
  absl::StatusOr<std::unique_ptr<virtio::NetDevice>> dev =
      virtio::NetDevice::Create(std::move(*tap), dopt);
  if (!dev.ok()) return dev.status();
  device_ = std::move(*dev);
  if (absl::Status s = ConfigureHost(ifname_, kHostIp, 24); !s.ok()) return s;
  if (absl::Status s = AddNeighbor(ifname_, kGuestIp, guest_mac_); !s.ok()) return s;
  absl::StatusOr<Mac> hm = InterfaceMac(ifname_);
  if (!hm.ok()) return hm.status();
  host_mac_ = *hm;

  irq_ = std::make_shared<virtio::testing::WaitableIrq>();
  transport_ = std::make_unique<virtio::VirtioMmioTransport>(device_, memory_.get(), irq_);
  driver_ = std::make_unique<virtio::testing::GuestDriver>(memory_.get(), transport_.get(),
                                                           GuestAddress(0x1000));
  uint64_t wanted = o.wanted_features;
  if (!o.mrg_rxbuf) wanted &= ~virtio::Bit(virtio::kNetFMrgRxbuf);
  if (!o.guest_offloads) {
    wanted &= ~(virtio::Bit(virtio::kNetFGuestCsum) | virtio::Bit(virtio::kNetFGuestTso4) |
                virtio::Bit(virtio::kNetFGuestTso6) | virtio::Bit(virtio::kNetFGuestUfo));
  }
  absl::StatusOr<uint64_t> f = driver_->Negotiate(wanted);
  if (!f.ok()) return f.status();
  features_ = *f;
  for (uint16_t q = 0; q < device_->num_queues(); ++q) {
    if (absl::Status s = driver_->SetupQueue(q, queue_size_); !s.ok()) return s;
  }
  driver_->DriverOk();
  if (!(driver_->status() & virtio::kStatusDriverOk)) {
    return absl::InternalError("DRIVER_OK did not stick");
  }
  const bool mrg = features_ & virtio::Bit(virtio::kNetFMrgRxbuf);
  rx_.resize(pairs_);
  tx_.resize(pairs_);
  for (uint16_t p = 0; p < pairs_; ++p) {
    rx_[p].buf_len = mrg ? 2048 : 12 + virtio::kNetMaxGsoFrame + 6;
    for (uint16_t i = 0; i < queue_size_; ++i) {
      PostRx(p, driver_->Alloc(rx_[p].buf_len, 64));
    }
    driver_->Kick(RxQ(p));
    tx_[p].buf_len = 12 + virtio::kNetMaxGsoFrame + 6;
    for (uint16_t i = 0; i < queue_size_; ++i) {
      tx_[p].bufs.push_back(driver_->Alloc(tx_[p].buf_len, 64));
    }
  }
  return absl::OkStatus();
}

NetRig::~NetRig() {
  // Stop the device threads before guest memory goes.
  transport_.reset();
  device_.reset();
}

void NetRig::PostRx(uint16_t pair, GuestAddress buf) {
  const uint16_t head = driver_->AddChain(RxQ(pair), {Buf{buf, rx_[pair].buf_len, true}});
  rx_[pair].by_head[head] = buf;
}

absl::StatusOr<uint8_t> NetRig::Ctrl(uint8_t cls, uint8_t cmd, const std::vector<uint8_t>& data) {
  const uint16_t q = static_cast<uint16_t>(2 * pairs_);
  std::vector<uint8_t> out{cls, cmd};
  out.insert(out.end(), data.begin(), data.end());
  GuestAddress c = driver_->Alloc(out.size());
  GuestAddress ack = driver_->Alloc(1);
  (void)memory_->Write(c, out);
  (void)memory_->WriteObj(ack, uint8_t{0xee});
  driver_->AddChain(q, {Buf{c, static_cast<uint32_t>(out.size()), false}, Buf{ack, 1, true}});
  driver_->Kick(q);
  absl::StatusOr<virtio::VirtqUsedElem> e = driver_->WaitUsed(q);
  if (!e.ok()) return e.status();
  return memory_->ReadObj<uint8_t>(ack);
}

void NetRig::ReapTx(uint16_t pair, bool block) {
  TxState& t = tx_[pair];
  while (t.in_flight > 0) {
    if (!block && driver_->UsedIdx(TxQ(pair)) == t.used_seen) return;
    absl::StatusOr<virtio::VirtqUsedElem> e = driver_->WaitUsed(TxQ(pair));
    if (!e.ok()) return;
    ++t.used_seen;
    --t.in_flight;
    if (!block) continue;
    return;
  }
}

absl::Status NetRig::Send(uint16_t pair, const std::vector<uint8_t>& frame,
                          const virtio::VirtioNetHdr& hdr, bool kick) {
  TxState& t = tx_[pair];
  if (frame.size() + 12 > t.buf_len) {
    return absl::InvalidArgumentError(absl::StrFormat("frame of %d bytes too big", frame.size()));
  }
  ReapTx(pair, false);
  while (t.in_flight >= queue_size_ / 2u) {
    driver_->Kick(TxQ(pair));
    const uint32_t before = t.in_flight;
    ReapTx(pair, true);
    if (t.in_flight == before) return absl::DeadlineExceededError("tx ring stuck");
  }
  GuestAddress b = t.bufs[t.next++ % t.bufs.size()];
  (void)memory_->WriteObj(b, hdr);
  (void)memory_->Write(GuestAddress(b.value() + 12), frame);
  driver_->AddChain(TxQ(pair), {Buf{b, static_cast<uint32_t>(12 + frame.size()), false}});
  ++t.in_flight;
  if (kick) driver_->Kick(TxQ(pair));
  return absl::OkStatus();
}

void NetRig::SendRaw(uint16_t pair, const std::vector<Buf>& bufs) {
  ReapTx(pair, false);
  driver_->AddChain(TxQ(pair), bufs);
  ++tx_[pair].in_flight;
  driver_->Kick(TxQ(pair));
}

absl::Status NetRig::FlushTx(uint16_t pair) {
  driver_->Kick(TxQ(pair));
  while (tx_[pair].in_flight > 0) {
    const uint32_t before = tx_[pair].in_flight;
    ReapTx(pair, true);
    if (tx_[pair].in_flight == before) return absl::DeadlineExceededError("tx flush stuck");
  }
  return absl::OkStatus();
}

std::optional<std::vector<uint8_t>> NetRig::Receive(uint16_t pair,
                                                    std::chrono::milliseconds timeout,
                                                    virtio::VirtioNetHdr* hdr_out) {
  RxState& r = rx_[pair];
  absl::StatusOr<virtio::VirtqUsedElem> e = driver_->WaitUsed(RxQ(pair), timeout);
  if (!e.ok()) return std::nullopt;
  std::vector<uint8_t> bytes;
  std::vector<GuestAddress> repost;
  auto take = [&](const virtio::VirtqUsedElem& el) {
    GuestAddress b = r.by_head[static_cast<uint16_t>(el.id)];
    const uint32_t len = std::min(el.len, r.buf_len);
    const size_t at = bytes.size();
    bytes.resize(at + len);
    (void)memory_->Read(b, absl::Span<uint8_t>(bytes.data() + at, len));
    repost.push_back(b);
  };
  take(*e);
  virtio::VirtioNetHdr hdr{};
  if (bytes.size() >= 12) std::memcpy(&hdr, bytes.data(), 12);
  const bool mrg = features_ & virtio::Bit(virtio::kNetFMrgRxbuf);
  for (uint16_t i = 1; mrg && i < hdr.num_buffers; ++i) {
    absl::StatusOr<virtio::VirtqUsedElem> more = driver_->WaitUsed(RxQ(pair), timeout);
    if (!more.ok()) break;
    take(*more);
  }
  for (GuestAddress b : repost) PostRx(pair, b);
  driver_->Kick(RxQ(pair));
  ++r.frames;
  if (hdr_out != nullptr) *hdr_out = hdr;
  if (bytes.size() < 12) return std::vector<uint8_t>();
  return std::vector<uint8_t>(bytes.begin() + 12, bytes.end());
}

}  // namespace net_testing
}  // namespace vmm
