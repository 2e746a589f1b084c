// virtio-net rx writes guest RAM only inside the rx chains the driver gave
// it (the first used.len device-writable bytes of each) and its used ring:
// every other byte of guest RAM is checked against a snapshot after real
// UDP datagrams from the host went through a real tap into rx chains of
// awkward shapes: header-only chains, the 12-byte header split so that
// num_buffers (offset 10) lies in a later descriptor or straddles two,
// device-readable and zero-length descriptors, indirect tables, one-byte
// pieces, a buffer ending at the end of RAM; with MRG_RXBUF (frames over
// several chains, num_buffers written into the first) and without (one
// chain per frame, some too small: the frame is cut, never overflows).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "devices/virtio/mmio/mmio_transport.h"
#include "devices/virtio/net/net_device.h"
#include "devices/virtio/net/net_spec.h"
#include "devices/virtio/queue/guest_write_check.h"
#include "gtest/gtest.h"
#include "tests/net/frames.h"
#include "tests/net/net_rig.h"
#include "tests/virtio/guest_driver.h"

namespace vmm {
namespace virtio {
namespace testing {
namespace {

using net_testing::kGuestIp;
using net_testing::kHostIp;

constexpr uint64_t kRamBytes = 16ull << 20;
constexpr uint64_t kCanaryStart = 4ull << 20;
constexpr uint16_t kQueueSize = 256;
constexpr uint32_t kHdr = sizeof(VirtioNetHdr);  // 12, num_buffers at 10.
constexpr uint16_t kBasePort = 7000;

using Shape = ChainShape;

class NetGuestWriteTest : public ::testing::TestWithParam<bool> {
 protected:
  bool mrg() const { return GetParam(); }

  void SetUp() override {
    ASSERT_TRUE(net_testing::EnterNewNetns().ok());
    auto mem = GuestMemory::Create({{GuestAddress(0), kRamBytes}});
    ASSERT_TRUE(mem.ok()) << mem.status();
    memory_ = std::move(*mem);
    TapOptions topt;
    topt.name = "gwtap0";
    auto tap = Tap::Open(topt);
    ASSERT_TRUE(tap.ok()) << tap.status();
    NetDeviceOptions o;
    o.mac = GenerateMac(9, 0);
    o.mrg_rxbuf = mrg();
    o.offloads = mrg();  // Without both: plain frames of at most 1518 bytes.
    auto dev = NetDevice::Create(std::move(*tap), o);
    ASSERT_TRUE(dev.ok()) << dev.status();
    device_ = std::move(*dev);
    irq_ = std::make_shared<WaitableIrq>();
    transport_ = std::make_unique<VirtioMmioTransport>(device_, memory_.get(), irq_);
    driver_ = std::make_unique<GuestDriver>(memory_.get(), transport_.get(), GuestAddress(0x1000));
    auto f = driver_->Negotiate(~0ull);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_EQ((*f & Bit(kNetFMrgRxbuf)) != 0, mrg());
    for (uint16_t q = 0; q < 2; ++q) {  // rx 0, tx 1; no control queue.
      ASSERT_TRUE(driver_->SetupQueue(q, kQueueSize).ok());
    }
    driver_->DriverOk();
    ASSERT_TRUE(driver_->status() & 4);
    ASSERT_TRUE(net_testing::ConfigureHost("gwtap0", kHostIp, 24).ok());
    ASSERT_TRUE(net_testing::AddNeighbor("gwtap0", kGuestIp, o.mac).ok());
  }

  void TearDown() override {
    transport_.reset();
    device_.reset();
  }

  GuestAddress Buffer(uint32_t len) {
    cursor_ = cursor_ == 0 ? kCanaryStart + 5 : cursor_;
    const GuestAddress at(cursor_);
    cursor_ += len + 37;
    return at;
  }

  std::vector<Shape> Shapes() {
    std::vector<Shape> s;
    auto w = [this](uint32_t len) { return RawBuf{Buffer(len), len, true}; };
    auto r = [this](uint32_t len) { return RawBuf{Buffer(len), len, false}; };
    const uint32_t frame = mrg() ? 0 : 1600;  // Without MRG_RXBUF a chain holds a frame.
    s.push_back({"num_buffers in the second descriptor (5+7)", {w(5), w(7), w(100 + frame)}});
    s.push_back({"num_buffers straddling two descriptors (11+1)", {w(11), w(1), w(50 + frame)}});
    s.push_back({"device-readable descriptor first", {r(64), w(kHdr + 300 + frame)}});
    s.push_back({"zero-length descriptor outside RAM",
                 {w(kHdr), RawBuf{GuestAddress(0xdead0000000ull), 0, true}, w(200 + frame)}});
    s.push_back({"shorter than a header", {w(kHdr - 1)}});
    s.push_back({"indirect, header split 6+6", {w(6), w(6), w(500 + frame)}, true});
    Shape small{"indirect, 60 one-to-three byte pieces", {}, true};
    for (int i = 0; i < 60; ++i) small.bufs.push_back(w(1 + i % 3));
    if (!mrg()) small.bufs.push_back(w(frame));
    s.push_back(small);
    s.push_back({"buffer ending at the end of RAM",
                 {RawBuf{GuestAddress(kRamBytes - (kHdr + 64 + frame)), kHdr + 64 + frame, true}}});
    if (mrg()) {
      s.push_back({"header only", {w(kHdr)}});
    } else {
      // Too small for the frame: the frame is cut at the chain's end.
      s.push_back({"too small for the frame", {w(kHdr + 14 + 20 + 8 + 10)}});
    }
    for (int i = 0; i < 24; ++i) s.push_back({"plain", {w(2048)}});
    return s;
  }

  std::unique_ptr<GuestMemory> memory_;
  std::shared_ptr<NetDevice> device_;
  std::shared_ptr<WaitableIrq> irq_;
  std::unique_ptr<VirtioMmioTransport> transport_;
  std::unique_ptr<GuestDriver> driver_;
  uint64_t cursor_ = 0;
};

TEST_P(NetGuestWriteTest, HostFramesThroughAwkwardChainsWriteNothingOutsideThem) {
  FillCanary(*memory_, GuestAddress(kCanaryStart), kRamBytes - kCanaryStart);
  const std::vector<Shape> shapes = Shapes();
  RawQueue rx(memory_.get(), kQueueSize, driver_->desc_table(0),
              driver_->avail_ring(0), driver_->used_ring(0));
  absl::flat_hash_map<uint16_t, size_t> by_head;
  for (size_t i = 0; i < shapes.size(); ++i) {
    std::optional<GuestAddress> table;
    if (shapes[i].indirect) table = driver_->Alloc(16 * shapes[i].bufs.size(), 16);
    by_head[rx.Place(shapes[i].bufs, table)] = i;
  }
  const std::vector<uint8_t> before = Snapshot(*memory_, GuestAddress(0), kRamBytes);
  rx.Publish();
  driver_->Kick(0);

  // Datagrams of assorted sizes (one frame each, MTU 1500).
  const std::vector<size_t> sizes = {1, 100, 1472, 37, 500, 1000, 1472, 7, 1200, 64, 1472, 300};
  absl::StatusOr<Fd> sock = net_testing::UdpSocket(kHostIp, 6000);
  ASSERT_TRUE(sock.ok()) << sock.status();
  std::vector<std::vector<uint8_t>> sent;
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::vector<uint8_t> p(sizes[i]);
    for (size_t k = 0; k < p.size(); ++k) p[k] = static_cast<uint8_t>(i * 31 + k * 7 + 1);
    sent.push_back(p);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(kGuestIp);
    to.sin_port = htons(static_cast<uint16_t>(kBasePort + i));
    ASSERT_EQ(::sendto(sock->get(), p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to),
                       sizeof(to)),
              static_cast<ssize_t>(p.size()));
  }

  WriteMap allowed;
  allowed.Allow(GuestAddress(driver_->avail_ring(0).value() + kAvailIdxOffset), 2);
  allowed.Allow(driver_->used_ring(0), UsedRingBytes(kQueueSize));
  absl::flat_hash_map<uint16_t, uint32_t> used_len;
  std::vector<bool> got(sent.size(), false);
  size_t done = 0, cut = 0, multi = 0;
  std::vector<uint8_t> frame;  // hdr + frame being assembled (MRG_RXBUF)
  uint16_t chains_left = 0;
  auto take = [&] {
    for (const VirtqUsedElem& e : rx.TakeUsed()) {
      auto it = by_head.find(static_cast<uint16_t>(e.id));
      ASSERT_TRUE(e.id < kQueueSize && it != by_head.end()) << "used id " << e.id;
      ASSERT_FALSE(used_len.contains(e.id)) << "head " << e.id << " used twice";
      const Shape& s = shapes[it->second];
      used_len[e.id] = e.len;
      ASSERT_LE(e.len, s.writable()) << s.name << ": used.len beyond its writable bytes";
      allowed.AllowWritablePrefix(s.bufs, e.len);
      if (e.len == 0) {
        ASSERT_EQ(chains_left, 0) << s.name << ": empty chain inside a frame";
        continue;
      }
      const std::vector<uint8_t> part = ReadWritablePrefix(*memory_, s.bufs, e.len);
      if (chains_left == 0) {
        ASSERT_GE(part.size(), kHdr) << s.name;
        VirtioNetHdr h;
        std::memcpy(&h, part.data(), kHdr);
        ASSERT_GE(h.num_buffers, 1) << s.name;
        if (!mrg()) {
          ASSERT_EQ(h.num_buffers, 1) << s.name;
        }
        chains_left = h.num_buffers;
        multi += h.num_buffers > 1;
        frame.clear();
      }
      frame.insert(frame.end(), part.begin(), part.end());
      if (--chains_left > 0) continue;
      const std::vector<uint8_t> eth(frame.begin() + kHdr, frame.end());
      std::optional<net_testing::Udp> u = net_testing::ParseUdp(eth);
      if (!u.has_value() || u->dport < kBasePort || u->dport >= kBasePort + sent.size()) {
        if (!mrg() && s.name == "too small for the frame") ++cut;
        continue;  // Cut, or a frame the host stack sent on its own.
      }
      const size_t i = u->dport - kBasePort;
      EXPECT_FALSE(got[i]) << "datagram " << i << " twice";
      EXPECT_TRUE(u->payload == sent[i]) << "datagram " << i << " payload differs";
      got[i] = true;
      ++done;
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (done + cut < sent.size() && std::chrono::steady_clock::now() < deadline) {
    take();
    if (HasFatalFailure()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  take();
  if (HasFatalFailure()) return;
  EXPECT_EQ(done + cut, sent.size());
  EXPECT_EQ(chains_left, 0);
  EXPECT_EQ(allowed.Diff(*memory_, GuestAddress(0), before), "");
  // With MRG_RXBUF the small chains make frames span several chains.
  if (mrg()) {
    EXPECT_GT(multi, 0u);
  }
  // Chains the device may not use come back empty; the split headers were
  // written (num_buffers through the split path).
  for (const auto& [head, i] : by_head) {
    const std::string& n = shapes[i].name;
    if (n.rfind("num_buffers", 0) == 0) {
      EXPECT_TRUE(used_len.contains(head) && used_len[head] > kHdr) << n;
    }
    if (n == "device-readable descriptor first" || n == "shorter than a header" ||
        n == "zero-length descriptor outside RAM") {
      const bool empty = used_len.contains(head) && used_len[head] == 0;
      EXPECT_TRUE(empty) << n;
    }
  }
}

// A guest reset (status 0, as on driver unload or reboot) while frames
// arrive, then the driver sets the queues up again elsewhere (reload): from
// the moment the reset returns, the old rings and old buffers never change,
// whatever the tap or a stale kick brings; the new queues work.
TEST_P(NetGuestWriteTest, OldRingsAndBuffersStayUntouchedAfterResetAndReprogramming) {
  FillCanary(*memory_, GuestAddress(kCanaryStart), kRamBytes - kCanaryStart);
  RawQueue rx(memory_.get(), kQueueSize, driver_->desc_table(0),
              driver_->avail_ring(0), driver_->used_ring(0));
  for (int i = 0; i < 64; ++i) rx.Place({RawBuf{Buffer(2048), 2048, true}});
  rx.Publish();
  driver_->Kick(0);

  absl::StatusOr<Fd> sock = net_testing::UdpSocket(kHostIp, 6000);
  ASSERT_TRUE(sock.ok()) << sock.status();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> sent{0};
  std::thread sender([&] {
    std::vector<uint8_t> p(1400, 0x5a);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(kGuestIp);
    to.sin_port = htons(kBasePort);
    while (!stop.load()) {
      if (::sendto(sock->get(), p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to),
                   sizeof(to)) > 0) {
        sent++;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  // Let frames flow into the first chains, then reset mid-stream.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (rx.UsedIdx() < 8 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GE(rx.UsedIdx(), 8) << "no frames before the reset";
  driver_->Reset();
  ASSERT_FALSE(device_->activated());
  const std::vector<uint8_t> at_reset = Snapshot(*memory_, GuestAddress(0), kRamBytes);
  const uint64_t old_heap = driver_->heap();
  const uint64_t old_cursor = cursor_;
  // A stale kick (an ioeventfd write racing the reset) and more frames.
  const uint64_t one = 1;
  ASSERT_EQ(::write(device_->kick_fd(0), &one, sizeof(one)), 8);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(WriteMap().Diff(*memory_, GuestAddress(0), at_reset), "") << "written after reset";

  // Reload: new rings from the driver's heap, new buffers past the old ones.
  ASSERT_TRUE(driver_->Negotiate(~0ull).ok());
  ASSERT_TRUE(driver_->SetupQueue(0, kQueueSize).ok());
  ASSERT_TRUE(driver_->SetupQueue(1, kQueueSize).ok());
  RawQueue rx2(memory_.get(), kQueueSize, driver_->desc_table(0), driver_->avail_ring(0),
               driver_->used_ring(0));
  for (int i = 0; i < 64; ++i) rx2.Place({RawBuf{Buffer(2048), 2048, true}});
  driver_->DriverOk();
  rx2.Publish();
  driver_->Kick(0);
  while (rx2.UsedIdx() < 8 && std::chrono::steady_clock::now() < until + std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  sender.join();
  EXPECT_GE(rx2.UsedIdx(), 8) << "the reprogrammed queue got no frames";
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  WriteMap allowed;  // Only the new rings (and tables) and the new buffers.
  allowed.Allow(GuestAddress(old_heap), driver_->heap() - old_heap);
  allowed.Allow(GuestAddress(old_cursor), cursor_ - old_cursor);
  EXPECT_EQ(allowed.Diff(*memory_, GuestAddress(0), at_reset), "");
  EXPECT_GT(sent.load(), 0u);
}

INSTANTIATE_TEST_SUITE_P(MrgRxbuf, NetGuestWriteTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Mergeable" : "OneChainPerFrame";
                         });

}  // namespace
}  // namespace testing
}  // namespace virtio
}  // namespace vmm
