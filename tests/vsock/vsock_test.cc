// Host-side tests of virtio-vsock: the test plays the guest driver through
// virtio-mmio registers and guest RAM; the host side is real unix sockets.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/vsock/vsock_rig.h"

namespace vmm {
namespace virtio {
namespace testing {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<VsockRig> MakeRig(uint32_t rx_buf = 4096 + 44) {
  VsockDeviceOptions o;
  o.uds_path = VsockRig::TempSocketPath("t");
  absl::StatusOr<std::unique_ptr<VsockRig>> rig = VsockRig::Create(o, rx_buf);
  EXPECT_TRUE(rig.ok()) << rig.status();
  return rig.ok() ? std::move(*rig) : nullptr;
}

// Host connects to guest port `port`; the guest accepts. Returns the host
// fd and the device's host port.
std::pair<Fd, uint32_t> Establish(VsockRig& rig, uint32_t port, uint32_t guest_buf = 1u << 20) {
  absl::StatusOr<Fd> fd = HostConnect(rig.uds(), port);
  EXPECT_TRUE(fd.ok()) << fd.status();
  absl::StatusOr<VsockPacket> req = rig.Recv();
  EXPECT_TRUE(req.ok()) << req.status();
  if (!fd.ok() || !req.ok()) return {Fd(), 0};
  EXPECT_EQ(req->hdr.op, kVsockOpRequest);
  EXPECT_EQ(req->hdr.src_cid, kVsockHostCid);
  EXPECT_EQ(req->hdr.dst_cid, VsockRig::kGuestCid);
  EXPECT_EQ(req->hdr.dst_port, port);
  EXPECT_EQ(req->hdr.type, kVsockTypeStream);
  EXPECT_TRUE(rig.Send(rig.Hdr(kVsockOpResponse, port, req->hdr.src_port, 0, guest_buf)).ok());
  absl::StatusOr<std::string> ok = ReadLine(fd->get());
  EXPECT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, absl::StrCat("OK ", req->hdr.src_port));
  return {std::move(*fd), req->hdr.src_port};
}

TEST(VsockTest, ConfigSpaceHasGuestCid) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  uint64_t cid = 0;
  rig->device().ReadConfig(0, absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&cid), 8));
  EXPECT_EQ(cid, VsockRig::kGuestCid);
  EXPECT_EQ(rig->device().device_id(), 19u);
}

TEST(VsockTest, RejectsBadCid) {
  VsockDeviceOptions o;
  o.uds_path = VsockRig::TempSocketPath("c");
  o.guest_cid = 2;
  EXPECT_FALSE(VsockDevice::Create(o).ok());
}

TEST(VsockTest, HostToGuestDataBothWays) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  auto [fd, hport] = Establish(*rig, 1234);
  ASSERT_TRUE(fd.valid());
  const std::string up = RandomBytes(100000, 1);
  ASSERT_TRUE(WriteAll(fd.get(), up).ok());
  std::string got;
  while (got.size() < up.size()) {
    absl::StatusOr<VsockPacket> p = rig->Recv();
    ASSERT_TRUE(p.ok()) << p.status() << " after " << got.size();
    ASSERT_EQ(p->hdr.op, kVsockOpRw);
    EXPECT_EQ(p->hdr.src_port, hport);
    EXPECT_EQ(p->hdr.dst_port, 1234u);
    got += p->data;
  }
  EXPECT_EQ(Checksum(got), Checksum(up));
  const std::string down = RandomBytes(100000, 2);
  for (size_t off = 0; off < down.size(); off += 4096) {
    const std::string chunk = down.substr(off, 4096);
    ASSERT_TRUE(
        rig->Send(rig->Hdr(kVsockOpRw, 1234, hport, chunk.size(), 1u << 20, got.size()), chunk)
            .ok());
  }
  absl::StatusOr<std::string> back = ReadExactly(fd.get(), down.size());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(Checksum(*back), Checksum(down));
  const VsockCounters c = rig->device().counters();
  EXPECT_EQ(c.connections_current, 1u);
  EXPECT_EQ(c.rx_bytes, up.size());
  EXPECT_EQ(c.tx_bytes, down.size());
}

// The CONNECT line read at accept (already there) and through epoll (late,
// in pieces): both reach the guest as one REQUEST with the right port.
TEST(VsockTest, ConnectLineEarlyLateAndSplit) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  absl::StatusOr<Fd> early = HostConnect(rig->uds(), 700);
  ASSERT_TRUE(early.ok()) << early.status();
  absl::StatusOr<VsockPacket> req = rig->Recv();
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->hdr.op, kVsockOpRequest);
  EXPECT_EQ(req->hdr.dst_port, 700u);

  absl::StatusOr<Fd> late = ConnectUnix(rig->uds());
  ASSERT_TRUE(late.ok()) << late.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // Accepted with no line yet.
  for (const char* piece : {"CONN", "ECT 7", "01\n"}) {
    ASSERT_TRUE(WriteAll(late->get(), piece).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  req = rig->Recv();
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->hdr.op, kVsockOpRequest);
  EXPECT_EQ(req->hdr.dst_port, 701u);
  ASSERT_TRUE(rig->Send(rig->Hdr(kVsockOpResponse, 701, req->hdr.src_port)).ok());
  absl::StatusOr<std::string> ok = ReadLine(late->get());
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, absl::StrCat("OK ", req->hdr.src_port));
  EXPECT_EQ(rig->device().counters().connections_total, 2u);
}

TEST(VsockTest, GuestToHostListener) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  absl::StatusOr<Fd> lfd = Listen(rig->uds() + "_5000");
  ASSERT_TRUE(lfd.ok()) << lfd.status();
  ASSERT_TRUE(rig->Send(rig->Hdr(kVsockOpRequest, 777, 5000)).ok());
  absl::StatusOr<VsockPacket> resp = rig->Recv();
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->hdr.op, kVsockOpResponse);
  EXPECT_EQ(resp->hdr.src_port, 5000u);
  EXPECT_EQ(resp->hdr.dst_port, 777u);
  Fd conn(::accept(lfd->get(), nullptr, nullptr));
  ASSERT_TRUE(conn.valid());
  ASSERT_TRUE(rig->Send(rig->Hdr(kVsockOpRw, 777, 5000, 5), "hello").ok());
  absl::StatusOr<std::string> got = ReadExactly(conn.get(), 5);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "hello");
  ASSERT_TRUE(WriteAll(conn.get(), "world").ok());
  absl::StatusOr<VsockPacket> p = rig->Recv();
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->hdr.op, kVsockOpRw);
  EXPECT_EQ(p->data, "world");
  ::unlink((rig->uds() + "_5000").c_str());
}

TEST(VsockTest, UnknownPortGetsRstAtOnce) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  ASSERT_TRUE(rig->Send(rig->Hdr(kVsockOpRequest, 778, 6001)).ok());
  absl::StatusOr<VsockPacket> p = rig->Recv(milliseconds(2000));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->hdr.op, kVsockOpRst);
  EXPECT_EQ(p->hdr.src_port, 6001u);
  EXPECT_EQ(p->hdr.dst_port, 778u);
  EXPECT_EQ(rig->device().counters().rst_sent, 1u);
  EXPECT_EQ(rig->device().counters().connections_current, 0u);
}

TEST(VsockTest, HostConnectToGuestPortRefusedClosesHostSocket) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  absl::StatusOr<Fd> fd = HostConnect(rig->uds(), 99);
  ASSERT_TRUE(fd.ok());
  absl::StatusOr<VsockPacket> req = rig->Recv();
  ASSERT_TRUE(req.ok());
  ASSERT_TRUE(rig->Send(rig->Hdr(kVsockOpRst, 99, req->hdr.src_port)).ok());
  absl::StatusOr<std::string> line = ReadLine(fd->get());
  EXPECT_FALSE(line.ok());  // EOF, no OK.
  EXPECT_EQ(rig->device().counters().connections_current, 0u);
}

TEST(VsockTest, HostConnectWithoutDriverIsClosedAtOnce) {
  // A guest without a vsock driver (or still booting): no hang.
  VsockDeviceOptions o;
  o.uds_path = VsockRig::TempSocketPath("i");
  o.guest_cid = 9;
  absl::StatusOr<std::unique_ptr<VsockDevice>> dev = VsockDevice::Create(o);
  ASSERT_TRUE(dev.ok()) << dev.status();
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<Fd> fd = HostConnect(o.uds_path, 1234);
    ASSERT_TRUE(fd.ok()) << fd.status();
    absl::StatusOr<std::string> line = ReadLine(fd->get());
    EXPECT_FALSE(line.ok());  // EOF without "OK": the hybrid-vsock reset.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  }
  EXPECT_EQ((*dev)->counters().rst_sent, 3u);
}

TEST(VsockTest, ShutdownBothFlags) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  auto [fd, hport] = Establish(*rig, 1300);
  ASSERT_TRUE(fd.valid());
  ASSERT_TRUE(rig->Send(rig->Hdr(kVsockOpRw, 1300, hport, 3), "bye").ok());
  VsockHdr sh = rig->Hdr(kVsockOpShutdown, 1300, hport);
  sh.flags = kVsockShutdownRcv | kVsockShutdownSend;
  ASSERT_TRUE(rig->Send(sh).ok());
  absl::StatusOr<std::string> got = ReadExactly(fd.get(), 3);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "bye");
  char c;
  EXPECT_EQ(::read(fd.get(), &c, 1), 0);  // EOF: the device closed its side.
  absl::StatusOr<VsockPacket> p = rig->Recv();
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->hdr.op, kVsockOpRst);
  EXPECT_EQ(rig->device().counters().connections_current, 0u);
}

TEST(VsockTest, HostHalfCloseSendsShutdownSend) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  auto [fd, hport] = Establish(*rig, 1301);
  ASSERT_TRUE(fd.valid());
  ASSERT_TRUE(WriteAll(fd.get(), "last").ok());
  ::shutdown(fd.get(), SHUT_WR);
  absl::StatusOr<VsockPacket> p = rig->Recv();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->data, "last");
  p = rig->Recv();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->hdr.op, kVsockOpShutdown);
  EXPECT_EQ(p->hdr.flags, kVsockShutdownSend);
  // The guest can still answer; then it closes too.
  ASSERT_TRUE(rig->Send(rig->Hdr(kVsockOpRw, 1301, hport, 5), "reply").ok());
  absl::StatusOr<std::string> got = ReadExactly(fd.get(), 5);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "reply");
  VsockHdr sh = rig->Hdr(kVsockOpShutdown, 1301, hport);
  sh.flags = kVsockShutdownSend;
  ASSERT_TRUE(rig->Send(sh).ok());
  p = rig->Recv();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->hdr.op, kVsockOpRst);
}

// 64 host clients in parallel; the guest side echoes every byte back.
TEST(VsockTest, SixtyFourParallelEchoConnections) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  constexpr int kConns = 64;
  constexpr size_t kBytes = 64 * 1024;
  std::atomic<int> done{0};
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kConns; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<Fd> fd = HostConnect(rig->uds(), 2000 + i);
      if (fd.ok() && ReadLine(fd->get(), milliseconds(20000)).ok()) {
        const std::string data = RandomBytes(kBytes, 100 + i);
        if (WriteAll(fd->get(), data).ok()) {
          absl::StatusOr<std::string> back = ReadExactly(fd->get(), kBytes, milliseconds(30000));
          if (back.ok() && Checksum(*back) == Checksum(data)) ok++;
        }
      }
      done++;
    });
  }
  // Guest: accept everything, echo every RW.
  absl::flat_hash_map<uint64_t, uint32_t> fwd;  // (guest port, host port) -> bytes read
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (done.load() < kConns && std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<VsockPacket> p = rig->Recv(milliseconds(200));
    if (!p.ok()) continue;
    const VsockHdr& h = p->hdr;
    const uint64_t key = (uint64_t{h.dst_port} << 32) | h.src_port;
    if (h.op == kVsockOpRequest) {
      ASSERT_TRUE(rig->Send(rig->Hdr(kVsockOpResponse, h.dst_port, h.src_port)).ok());
    } else if (h.op == kVsockOpRw) {
      fwd[key] += h.len;
      ASSERT_TRUE(rig->Send(rig->Hdr(kVsockOpRw, h.dst_port, h.src_port, h.len, 1u << 20, fwd[key]),
                            p->data)
                      .ok());
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kConns);
  EXPECT_EQ(rig->device().counters().connections_total, uint64_t{kConns});
  EXPECT_EQ(rig->device().counters().rx_bytes, uint64_t{kConns} * kBytes);
  EXPECT_EQ(rig->device().counters().tx_bytes, uint64_t{kConns} * kBytes);
}

// A host that stops reading: the guest's credit runs out, it must stop, and
// the device holds at most its advertised buffer.
TEST(VsockTest, SlowHostReaderStallsGuestOnCredit) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  auto [fd, hport] = Establish(*rig, 1400);
  ASSERT_TRUE(fd.valid());
  const uint32_t buf_alloc = 256 * 1024;  // What the device advertised.
  const std::string data = RandomBytes(8u << 20, 9);
  size_t sent = 0;
  uint32_t peer_fwd = 0;
  auto drain_updates = [&](milliseconds t) {
    absl::StatusOr<VsockPacket> p = rig->Recv(t);
    if (!p.ok()) return false;
    EXPECT_EQ(p->hdr.op, kVsockOpCreditUpdate);
    EXPECT_EQ(p->hdr.buf_alloc, buf_alloc);
    peer_fwd = p->hdr.fwd_cnt;
    return true;
  };
  auto credit = [&] { return buf_alloc - (static_cast<uint32_t>(sent) - peer_fwd); };
  // Phase 1: nobody reads on the host.
  for (;;) {
    if (credit() >= 4096) {
      const std::string chunk = data.substr(sent, 4096);
      ASSERT_TRUE(rig->Send(rig->Hdr(kVsockOpRw, 1400, hport, chunk.size()), chunk).ok());
      sent += chunk.size();
      while (drain_updates(milliseconds(0))) {
      }
    } else if (!drain_updates(milliseconds(300))) {
      break;  // Stalled: no credit and none coming.
    }
    ASSERT_LT(sent, data.size()) << "the guest was never throttled";
  }
  const VsockCounters c = rig->device().counters();
  EXPECT_LE(c.buffered_bytes, buf_alloc);
  EXPECT_GT(c.buffered_bytes, 0u);
  // Phase 2: the host reads everything; the guest finishes.
  std::string got;
  std::thread reader([&] {
    absl::StatusOr<std::string> r = ReadExactly(fd.get(), data.size(), milliseconds(30000));
    if (r.ok()) got = std::move(*r);
  });
  while (sent < data.size()) {
    if (credit() >= 4096) {
      const std::string chunk = data.substr(sent, 4096);
      ASSERT_TRUE(rig->Send(rig->Hdr(kVsockOpRw, 1400, hport, chunk.size()), chunk).ok());
      sent += chunk.size();
      while (drain_updates(milliseconds(0))) {
      }
    } else {
      ASSERT_TRUE(drain_updates(milliseconds(5000))) << "credit never came back";
    }
    EXPECT_LE(rig->device().counters().buffered_bytes, buf_alloc);
  }
  reader.join();
  EXPECT_EQ(Checksum(got), Checksum(data));
}

// A guest that stops consuming: the device sends at most the guest's
// buf_alloc, then stops reading the host socket so the host writer blocks.
TEST(VsockTest, SlowGuestBlocksHostWriter) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  constexpr uint32_t kGuestBuf = 64 * 1024;
  auto [fd, hport] = Establish(*rig, 1500, kGuestBuf);
  ASSERT_TRUE(fd.valid());
  const std::string data = RandomBytes(4u << 20, 3);
  size_t written = 0;
  for (;;) {
    const ssize_t n =
        ::send(fd.get(), data.data() + written, std::min<size_t>(65536, data.size() - written),
               MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
    if (written == data.size()) break;
  }
  EXPECT_LT(written, data.size()) << "the host writer never blocked";
  std::string got;
  for (;;) {
    absl::StatusOr<VsockPacket> p = rig->Recv(milliseconds(300));
    if (!p.ok()) break;
    got += p->data;
  }
  EXPECT_EQ(got.size(), kGuestBuf);
  // The guest consumed it: a credit update lets more through.
  ASSERT_TRUE(
      rig->Send(rig->Hdr(kVsockOpCreditUpdate, 1500, hport, 0, kGuestBuf, got.size())).ok());
  absl::StatusOr<VsockPacket> p = rig->Recv();
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->hdr.op, kVsockOpRw);
}

TEST(VsockTest, ResetDropsConnectionsAndWorksAgain) {
  VsockDeviceOptions o;
  o.uds_path = VsockRig::TempSocketPath("r");
  auto rig = VsockRig::Create(o);
  ASSERT_TRUE(rig.ok());
  auto [fd, hport] = Establish(**rig, 1600);
  ASSERT_TRUE(fd.valid());
  (*rig)->device().Reset();
  char c;
  EXPECT_EQ(::read(fd.get(), &c, 1), 0);
  EXPECT_EQ((*rig)->device().counters().connections_current, 0u);
}

}  // namespace
}  // namespace testing
}  // namespace virtio
}  // namespace vmm
