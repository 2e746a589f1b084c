// virtio-net end to end on a real tap in a private network namespace: the
// GuestDriver plays the guest, host sockets in the namespace are the peer.
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "absl/strings/str_format.h"
#include "devices/virtio/core/virtio_spec.h"
#include "devices/virtio/net/net_spec.h"
#include "gtest/gtest.h"
#include "tests/net/net_rig.h"

namespace vmm {
namespace net_testing {
namespace {

using std::chrono::milliseconds;
using virtio::Bit;

constexpr uint16_t kGuestPort = 6000;
constexpr uint16_t kHostPort = 5000;
constexpr size_t kDgram = 1472;  // Fills a 1500-byte MTU.

// Payload of datagram `seq`: the sequence number then bytes derived from it.
std::vector<uint8_t> Payload(uint64_t seq, size_t len) {
  std::vector<uint8_t> p(len);
  std::memcpy(p.data(), &seq, sizeof(seq));
  uint64_t x = seq * 0x9e3779b97f4a7c15ull + 1;
  for (size_t i = sizeof(seq); i < len; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p[i] = static_cast<uint8_t>(x);
  }
  return p;
}

uint64_t SeqOf(const std::vector<uint8_t>& p) {
  uint64_t s = ~0ull;
  if (p.size() >= 8) std::memcpy(&s, p.data(), 8);
  return s;
}

sockaddr_in Addr(uint32_t ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(ip);
  a.sin_port = htons(port);
  return a;
}

class NetTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(EnterNewNetns().ok()); }

  std::unique_ptr<NetRig> MakeRig(const RigOptions& o = {}) {
    absl::StatusOr<std::unique_ptr<NetRig>> rig = NetRig::Create(o);
    EXPECT_TRUE(rig.ok()) << rig.status();
    return rig.ok() ? std::move(*rig) : nullptr;
  }

  std::vector<uint8_t> GuestUdp(NetRig& rig, uint16_t sport, const std::vector<uint8_t>& p) {
    return BuildUdp(rig.guest_mac(), rig.host_mac(), kGuestIp, kHostIp, sport, kHostPort, p);
  }

  // The next UDP frame for the guest (skipping anything else), or nullopt.
  std::optional<Udp> NextUdp(NetRig& rig, uint16_t pair = 0,
                             milliseconds timeout = milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::optional<std::vector<uint8_t>> f = rig.Receive(pair, timeout);
      if (!f) return std::nullopt;
      std::optional<Udp> u = ParseUdp(*f);
      if (u && u->dst_ip == kGuestIp) return u;
    }
    return std::nullopt;
  }
};

TEST_F(NetTest, ConfigAndFeatures) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  const uint64_t f = rig->features();
  EXPECT_TRUE(f & Bit(virtio::kNetFMac));
  EXPECT_TRUE(f & Bit(virtio::kNetFMrgRxbuf));
  EXPECT_TRUE(f & Bit(virtio::kNetFStatus));
  EXPECT_TRUE(f & Bit(virtio::kNetFCtrlVq));
  EXPECT_FALSE(f & Bit(virtio::kNetFMq));  // One pair.
  uint8_t mac[6];
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(rig->driver().ReadReg(0x100 + i));
  EXPECT_EQ(0, std::memcmp(mac, rig->guest_mac().data(), 6));
  EXPECT_EQ(mac[0], 0x02);
  const uint32_t status = rig->driver().ReadReg(0x100 + 6) & 0xffff;
  EXPECT_EQ(status, virtio::kNetSLinkUp);
  EXPECT_EQ(virtio::GenerateMac(1, 0), virtio::GenerateMac(1, 0));
  EXPECT_NE(virtio::GenerateMac(1, 0), virtio::GenerateMac(2, 0));
  EXPECT_NE(virtio::GenerateMac(1, 0), virtio::GenerateMac(1, 1));
  // CTRL_RX acks.
  absl::StatusOr<uint8_t> ack = rig->Ctrl(virtio::kNetCtrlRx, 0, {1});
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(*ack, virtio::kNetOk);
  ack = rig->Ctrl(9, 0, {});
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(*ack, virtio::kNetErr);
}

TEST_F(NetTest, PingAndUdpEcho) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  // ICMP echo to the host end; the kernel answers.
  std::vector<uint8_t> data(56, 0x5a);
  ASSERT_TRUE(rig->Send(0, BuildIcmpEcho(rig->guest_mac(), rig->host_mac(), kGuestIp, kHostIp,
                                         0x1234, 1, data))
                  .ok());
  bool replied = false;
  for (int i = 0; i < 10 && !replied; ++i) {
    std::optional<std::vector<uint8_t>> f = rig->Receive(0);
    ASSERT_TRUE(f.has_value()) << "no frame for the guest";
    std::optional<Icmp> icmp = ParseIcmp(*f);
    if (icmp && icmp->type == 0) {
      EXPECT_EQ(icmp->id, 0x1234);
      EXPECT_EQ(icmp->seq, 1);
      EXPECT_EQ(icmp->payload, data);
      replied = true;
    }
  }
  EXPECT_TRUE(replied);

  // UDP to a host socket and back.
  absl::StatusOr<Fd> sock = UdpSocket(kHostIp, kHostPort);
  ASSERT_TRUE(sock.ok()) << sock.status();
  std::vector<uint8_t> hello = Payload(7, 300);
  ASSERT_TRUE(rig->Send(0, GuestUdp(*rig, kGuestPort, hello)).ok());
  std::vector<uint8_t> got(2000);
  sockaddr_in from{};
  socklen_t fl = sizeof(from);
  ssize_t n = ::recvfrom(sock->get(), got.data(), got.size(), 0,
                         reinterpret_cast<sockaddr*>(&from), &fl);
  ASSERT_EQ(n, 300);
  got.resize(300);
  EXPECT_EQ(got, hello);
  EXPECT_EQ(ntohl(from.sin_addr.s_addr), kGuestIp);
  EXPECT_EQ(ntohs(from.sin_port), kGuestPort);
  std::vector<uint8_t> back = Payload(8, 1000);
  ASSERT_EQ(::sendto(sock->get(), back.data(), back.size(), 0,
                     reinterpret_cast<sockaddr*>(&from), fl),
            1000);
  std::optional<Udp> u = NextUdp(*rig);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->payload, back);
  EXPECT_EQ(u->sport, kHostPort);
  EXPECT_EQ(u->dport, kGuestPort);

  virtio::NetCountersSnapshot c = rig->device().counters();
  EXPECT_GE(c.tx_packets, 2u);
  EXPECT_GE(c.rx_packets, 2u);
  EXPECT_EQ(c.tx_drops, 0u);
}

// Guest -> host: `count` datagrams through pair `pair`; checks every one.
void GuestToHost(NetRig& rig, uint16_t pair, uint64_t count, uint16_t sport, int host_fd) {
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> bad{0};
  std::thread host([&] {
    std::vector<uint8_t> buf(65536);
    std::vector<bool> seen(count, false);
    while (received.load() < count) {
      ssize_t n = ::recv(host_fd, buf.data(), buf.size(), 0);
      if (n < 0) break;  // Timeout: the sender side reports the shortfall.
      std::vector<uint8_t> p(buf.begin(), buf.begin() + n);
      const uint64_t seq = SeqOf(p);
      if (seq >= count || seen[seq] || p != Payload(seq, kDgram)) {
        bad.fetch_add(1);
      } else {
        seen[seq] = true;
      }
      received.fetch_add(1);
    }
  });
  for (uint64_t seq = 0; seq < count; ++seq) {
    // Flow control so the host socket never overflows.
    const auto t0 = std::chrono::steady_clock::now();
    while (seq - received.load() > 4096 &&
           std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
      std::this_thread::yield();
    }
    ASSERT_TRUE(rig.Send(pair,
                         BuildUdp(rig.guest_mac(), rig.host_mac(), kGuestIp, kHostIp, sport,
                                  kHostPort, Payload(seq, kDgram)),
                         {}, seq % 16 == 15)
                    .ok());
  }
  ASSERT_TRUE(rig.FlushTx(pair).ok());
  host.join();
  EXPECT_EQ(received.load(), count);
  EXPECT_EQ(bad.load(), 0u);
}

TEST_F(NetTest, BulkBothWaysWithMatchingData) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  absl::StatusOr<Fd> sock = UdpSocket(kHostIp, kHostPort);
  ASSERT_TRUE(sock.ok()) << sock.status();
  const uint64_t count = (64ull << 20) / kDgram;  // 64 MiB each way.
  const auto t0 = std::chrono::steady_clock::now();
  GuestToHost(*rig, 0, count, kGuestPort, sock->get());
  const double up = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Host -> guest.
  std::atomic<uint64_t> got{0};
  std::thread sender([&] {
    sockaddr_in to = Addr(kGuestIp, kGuestPort);
    for (uint64_t seq = 0; seq < count; ++seq) {
      const auto w0 = std::chrono::steady_clock::now();
      while (seq - got.load() > 512 &&
             std::chrono::steady_clock::now() - w0 < std::chrono::seconds(5)) {
        std::this_thread::yield();
      }
      std::vector<uint8_t> p = Payload(seq, kDgram);
      (void)::sendto(sock->get(), p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof(to));
    }
  });
  const auto t1 = std::chrono::steady_clock::now();
  uint64_t bad = 0, next = 0;
  while (got.load() < count) {
    std::optional<Udp> u = NextUdp(*rig);
    if (!u) break;
    const uint64_t seq = SeqOf(u->payload);
    if (seq != next || u->payload != Payload(seq, kDgram)) ++bad;
    next = seq + 1;
    got.fetch_add(1);
  }
  const double down = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  sender.join();
  EXPECT_EQ(got.load(), count);
  EXPECT_EQ(bad, 0u);
  const virtio::NetCountersSnapshot c = rig->device().counters();
  EXPECT_EQ(c.tx_drops, 0u);
  std::printf("bulk 64 MiB: guest->host %.1f MB/s, host->guest %.1f MB/s\n",
              64.0 * 1.048576 / up, 64.0 * 1.048576 / down);
}

TEST_F(NetTest, TwoQueuePairsBothCarryTraffic) {
  RigOptions o;
  o.pairs = 2;
  auto rig = MakeRig(o);
  ASSERT_NE(rig, nullptr);
  ASSERT_TRUE(rig->features() & Bit(virtio::kNetFMq));
  EXPECT_EQ(rig->device().active_pairs(), 1);
  std::vector<uint8_t> pairs{2, 0};
  absl::StatusOr<uint8_t> ack =
      rig->Ctrl(virtio::kNetCtrlMq, virtio::kNetCtrlMqVqPairsSet, pairs);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(*ack, virtio::kNetOk);
  EXPECT_EQ(rig->device().active_pairs(), 2);
  ack = rig->Ctrl(virtio::kNetCtrlMq, virtio::kNetCtrlMqVqPairsSet, {3, 0});
  EXPECT_EQ(*ack, virtio::kNetErr);  // Above max_virtqueue_pairs.

  absl::StatusOr<Fd> sock = UdpSocket(kHostIp, kHostPort);
  ASSERT_TRUE(sock.ok());
  // Transmit on both pairs.
  GuestToHost(*rig, 0, 2000, 7000, sock->get());
  GuestToHost(*rig, 1, 2000, 7001, sock->get());

  // Receive: many flows (source ports) spread over the tap queues.
  std::vector<Fd> senders;
  for (uint16_t i = 0; i < 32; ++i) {
    absl::StatusOr<Fd> s = UdpSocket(kHostIp, static_cast<uint16_t>(9000 + i));
    ASSERT_TRUE(s.ok());
    senders.push_back(std::move(*s));
  }
  sockaddr_in to = Addr(kGuestIp, kGuestPort);
  for (int round = 0; round < 8; ++round) {
    for (const Fd& s : senders) {
      std::vector<uint8_t> p = Payload(round, 100);
      (void)::sendto(s.get(), p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof(to));
    }
  }
  uint64_t total = 0;
  for (int spins = 0; spins < 200 && total < 256; ++spins) {
    for (uint16_t p = 0; p < 2; ++p) {
      while (rig->Receive(p, milliseconds(10)).has_value()) ++total;
    }
  }
  EXPECT_GE(total, 256u);
  EXPECT_GT(rig->rx_frames(0), 0u);
  EXPECT_GT(rig->rx_frames(1), 0u);
  std::printf("rx frames: pair0=%llu pair1=%llu\n",
              static_cast<unsigned long long>(rig->rx_frames(0)),
              static_cast<unsigned long long>(rig->rx_frames(1)));
}

TEST_F(NetTest, WithoutMergeableBuffersOrGuestOffloads) {
  RigOptions o;
  o.mrg_rxbuf = false;
  o.guest_offloads = false;
  auto rig = MakeRig(o);
  ASSERT_NE(rig, nullptr);
  EXPECT_FALSE(rig->features() & Bit(virtio::kNetFMrgRxbuf));
  EXPECT_FALSE(rig->features() & Bit(virtio::kNetFGuestTso4));
  absl::StatusOr<Fd> sock = UdpSocket(kHostIp, kHostPort);
  ASSERT_TRUE(sock.ok());
  GuestToHost(*rig, 0, 1000, kGuestPort, sock->get());
  sockaddr_in to = Addr(kGuestIp, kGuestPort);
  for (uint64_t seq = 0; seq < 100; ++seq) {
    std::vector<uint8_t> p = Payload(seq, kDgram);
    ASSERT_EQ(::sendto(sock->get(), p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to),
                       sizeof(to)),
              static_cast<ssize_t>(kDgram));
    std::optional<Udp> u = NextUdp(*rig);
    ASSERT_TRUE(u.has_value()) << seq;
    EXPECT_EQ(u->payload, p);
  }
  EXPECT_EQ(rig->device().counters().rx_drops, 0u);
}

TEST_F(NetTest, UdpGsoFrameCrossesWhole) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  ASSERT_TRUE(rig->features() & Bit(virtio::kNetFHostUfo));
  absl::StatusOr<Fd> sock = UdpSocket(kHostIp, kHostPort);
  ASSERT_TRUE(sock.ok());
  std::vector<uint8_t> big = Payload(42, 60000);
  std::vector<uint8_t> frame =
      BuildUdp(rig->guest_mac(), rig->host_mac(), kGuestIp, kHostIp, kGuestPort, kHostPort, big,
               /*partial_csum=*/true);
  virtio::VirtioNetHdr h{};
  h.flags = virtio::kNetHdrFNeedsCsum;
  h.gso_type = virtio::kNetHdrGsoUdp;
  h.gso_size = 1480;
  h.hdr_len = 42;
  h.csum_start = 34;
  h.csum_offset = 6;
  ASSERT_TRUE(rig->Send(0, frame, h).ok());
  ASSERT_TRUE(rig->FlushTx(0).ok());
  std::vector<uint8_t> got(65536);
  ssize_t n = ::recv(sock->get(), got.data(), got.size(), 0);
  ASSERT_EQ(n, 60000);
  got.resize(60000);
  EXPECT_EQ(got, big);
  EXPECT_EQ(rig->device().counters().tx_drops, 0u);
}

}  // namespace
}  // namespace net_testing
}  // namespace vmm
