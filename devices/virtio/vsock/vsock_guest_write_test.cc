// virtio-vsock writes guest RAM only inside the rx chains the driver gave it
// (the first used.len device-writable bytes of each) and its used ring:
// every other byte of guest RAM is checked against a snapshot after host
// data went through rx chains of awkward shapes (header-only, shorter than
// a header, header split over descriptors, zero-length and device-readable
// descriptors, indirect tables, one-byte pieces, a buffer ending at the end
// of RAM). The test plays the guest driver; the host side is a real unix
// socket.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "devices/virtio/mmio/mmio_transport.h"
#include "devices/virtio/queue/guest_write_check.h"
#include "devices/virtio/vsock/vsock_device.h"
#include "gtest/gtest.h"
#include "tests/virtio/guest_driver.h"
#include "tests/vsock/vsock_rig.h"

namespace vmm {
namespace virtio {
namespace testing {
namespace {

constexpr uint64_t kRamBytes = 16ull << 20;
constexpr uint64_t kCanaryStart = 4ull << 20;  // Hostile buffers live above.
constexpr uint16_t kQueueSize = 256;
constexpr uint64_t kGuestCid = 42;
constexpr uint32_t kHdr = sizeof(VsockHdr);

using Shape = ChainShape;  // One rx chain shape and where its buffers went.

class VsockGuestWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mem = GuestMemory::Create({{GuestAddress(0), kRamBytes}});
    ASSERT_TRUE(mem.ok()) << mem.status();
    memory_ = std::move(*mem);
    VsockDeviceOptions o;
    o.guest_cid = kGuestCid;
    o.uds_path = VsockRig::TempSocketPath("gw");
    auto dev = VsockDevice::Create(o);
    ASSERT_TRUE(dev.ok()) << dev.status();
    device_ = std::move(*dev);
    irq_ = std::make_shared<WaitableIrq>();
    transport_ = std::make_unique<VirtioMmioTransport>(device_, memory_.get(), irq_);
    driver_ = std::make_unique<GuestDriver>(memory_.get(), transport_.get(), GuestAddress(0x1000));
    auto f = driver_->Negotiate(~0ull);
    ASSERT_TRUE(f.ok()) << f.status();
    for (uint16_t q = 0; q < 3; ++q) {
      ASSERT_TRUE(driver_->SetupQueue(q, kQueueSize).ok());
    }
    handshake_rx_ = driver_->Alloc(kHdr + 4096);
    tx_hdr_ = driver_->Alloc(64);
    driver_->DriverOk();
    ASSERT_TRUE(driver_->status() & 4);
  }

  void TearDown() override {
    transport_.reset();
    device_.reset();
  }

  // Host connects to guest port `port`, the guest accepts with a large
  // buf_alloc (credit never limits the test). Uses the rx chain at
  // handshake_rx_ once (GuestDriver's slot 0).
  Fd Establish(uint32_t port) {
    driver_->AddChain(0, {{handshake_rx_, kHdr + 4096, true}});
    driver_->Kick(0);
    absl::StatusOr<Fd> fd = HostConnect(device_->options().uds_path, port);
    EXPECT_TRUE(fd.ok()) << fd.status();
    absl::StatusOr<VirtqUsedElem> e = driver_->WaitUsed(0);
    EXPECT_TRUE(e.ok()) << e.status();
    VsockHdr req = *memory_->ReadObj<VsockHdr>(handshake_rx_);
    EXPECT_EQ(req.op, kVsockOpRequest);
    host_port_ = req.src_port;
    VsockHdr resp{};
    resp.src_cid = kGuestCid;
    resp.dst_cid = kVsockHostCid;
    resp.src_port = port;
    resp.dst_port = host_port_;
    resp.type = kVsockTypeStream;
    resp.op = kVsockOpResponse;
    resp.buf_alloc = 64u << 20;
    EXPECT_TRUE(memory_->WriteObj(tx_hdr_, resp).ok());
    driver_->AddChain(1, {{tx_hdr_, kHdr, false}});
    driver_->Kick(1);
    EXPECT_TRUE(driver_->WaitUsed(1).ok());
    absl::StatusOr<std::string> ok = ReadLine(fd->get());
    EXPECT_TRUE(ok.ok()) << ok.status();
    EXPECT_EQ(*ok, absl::StrCat("OK ", host_port_));
    return std::move(*fd);
  }

  // A buffer in the canary area; buffers are spaced by odd gaps so a write
  // past any of them lands on canary bytes.
  GuestAddress Buffer(uint32_t len) {
    cursor_ = cursor_ == 0 ? kCanaryStart + 7 : cursor_;
    const GuestAddress at(cursor_);
    cursor_ += len + 61;
    return at;
  }

  // The awkward rx chains, each with room for some payload unless noted.
  std::vector<Shape> Shapes() {
    std::vector<Shape> s;
    auto w = [this](uint32_t len) { return RawBuf{Buffer(len), len, true}; };
    auto r = [this](uint32_t len) { return RawBuf{Buffer(len), len, false}; };
    s.push_back({"header only (no room for payload)", {w(kHdr)}});
    s.push_back({"shorter than a header", {w(kHdr - 1)}});
    s.push_back({"header split 10+34, then payload", {w(10), w(kHdr - 10), w(100)}});
    s.push_back({"zero-length descriptor outside RAM mid-chain",
                 {w(kHdr), w(1), RawBuf{GuestAddress(0xdead0000000ull), 0, true}, w(7), w(200)}});
    s.push_back({"device-readable descriptor first", {r(64), w(kHdr + 500)}});
    s.push_back({"indirect, header split 20+24", {w(20), w(kHdr - 20), w(300)}, true});
    Shape small{"indirect, 40 one-to-three byte pieces", {}, true};
    for (int i = 0; i < 40; ++i) small.bufs.push_back(w(1 + i % 3));
    s.push_back(small);
    // Ends exactly at the end of guest RAM.
    s.push_back({"buffer ending at the end of RAM",
                 {RawBuf{GuestAddress(kRamBytes - (kHdr + 64)), kHdr + 64, true}}});
    s.push_back({"plain", {w(kHdr + 4096)}});
    s.push_back({"device-readable only", {r(200)}});
    return s;
  }

  std::unique_ptr<GuestMemory> memory_;
  std::shared_ptr<VsockDevice> device_;
  std::shared_ptr<WaitableIrq> irq_;
  std::unique_ptr<VirtioMmioTransport> transport_;
  std::unique_ptr<GuestDriver> driver_;
  GuestAddress handshake_rx_, tx_hdr_;
  uint32_t host_port_ = 0;
  uint64_t cursor_ = 0;
};

TEST_F(VsockGuestWriteTest, HostDataThroughAwkwardChainsWritesNothingOutsideThem) {
  constexpr uint32_t kPort = 5000;
  Fd host = Establish(kPort);
  ASSERT_TRUE(host);

  FillCanary(*memory_, GuestAddress(kCanaryStart), kRamBytes - kCanaryStart);
  std::vector<Shape> shapes = Shapes();
  // Data: exactly what the payload-capable chains hold, so every one of
  // them is filled and the spare chains after them stay untouched.
  uint64_t capacity = 0;
  for (const Shape& s : shapes) {
    if (s.writable() > kHdr) capacity += s.writable() - kHdr;
  }
  shapes.push_back({"spare 1 (no data left for it)", {RawBuf{Buffer(kHdr + 1000), kHdr + 1000, true}}});
  shapes.push_back({"spare 2 (no data left for it)", {RawBuf{Buffer(kHdr + 1000), kHdr + 1000, true}}});
  const std::string data = RandomBytes(capacity, 7);
  ASSERT_TRUE(WriteAll(host.get(), data).ok());

  // Slot 0 and avail entry 0 went to the handshake's chain.
  RawQueue rx(memory_.get(), kQueueSize, driver_->desc_table(0),
              driver_->avail_ring(0), driver_->used_ring(0), 1, 1, 1);
  absl::flat_hash_map<uint16_t, size_t> by_head;
  for (size_t i = 0; i < shapes.size(); ++i) {
    std::optional<GuestAddress> table;
    if (shapes[i].indirect) table = driver_->Alloc(16 * shapes[i].bufs.size(), 16);
    by_head[rx.Place(shapes[i].bufs, table)] = i;
  }
  const std::vector<uint8_t> before = Snapshot(*memory_, GuestAddress(0), kRamBytes);
  rx.Publish();
  driver_->Kick(0);

  WriteMap allowed;
  // avail.idx: Publish, after the snapshot.
  allowed.Allow(GuestAddress(driver_->avail_ring(0).value() + kAvailIdxOffset), 2);
  allowed.Allow(driver_->used_ring(0), UsedRingBytes(kQueueSize));
  std::string got;
  absl::flat_hash_map<uint16_t, uint32_t> used_len;
  auto take = [&] {
    for (const VirtqUsedElem& e : rx.TakeUsed()) {
      auto it = by_head.find(static_cast<uint16_t>(e.id));
      ASSERT_TRUE(e.id < kQueueSize && it != by_head.end()) << "used id " << e.id << " never posted";
      ASSERT_FALSE(used_len.contains(e.id)) << "head " << e.id << " used twice";
      const Shape& s = shapes[it->second];
      used_len[e.id] = e.len;
      ASSERT_LE(e.len, s.writable()) << s.name << ": used.len beyond its writable bytes";
      allowed.AllowWritablePrefix(s.bufs, e.len);
      if (e.len == 0) continue;
      ASSERT_GE(e.len, kHdr) << s.name;
      const std::vector<uint8_t> pkt = ReadWritablePrefix(*memory_, s.bufs, e.len);
      VsockHdr h;
      std::memcpy(&h, pkt.data(), kHdr);
      ASSERT_EQ(h.op, kVsockOpRw) << s.name << ": op " << h.op << " (4 = SHUTDOWN: a false EOF)";
      ASSERT_EQ(h.len, e.len - kHdr) << s.name;
      ASSERT_EQ(h.dst_port, kPort);
      ASSERT_EQ(h.src_port, host_port_);
      got.append(reinterpret_cast<const char*>(pkt.data()) + kHdr, h.len);
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (got.size() < data.size() && std::chrono::steady_clock::now() < deadline) {
    take();
    if (HasFatalFailure()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // Let anything late land before comparing.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  take();
  if (HasFatalFailure()) return;
  ASSERT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data) << "payload bytes differ";
  EXPECT_EQ(allowed.Diff(*memory_, GuestAddress(0), before), "");
  // The chains with no room for payload came back empty; the spares were
  // never used.
  for (const auto& [head, i] : by_head) {
    if (shapes[i].writable() <= kHdr) {
      EXPECT_TRUE(used_len.contains(head) && used_len[head] == 0) << shapes[i].name;
    }
    if (shapes[i].name.rfind("spare", 0) == 0) {
      EXPECT_FALSE(used_len.contains(head)) << shapes[i].name;
    }
  }
  EXPECT_EQ(device_->counters().rst_sent, 0u);
}

// A guest reset (status 0) while the host streams data: from the moment
// the reset returns, no guest byte changes, whatever the host writes next
// or a stale kick brings.
TEST_F(VsockGuestWriteTest, NothingChangesAfterResetMidStream) {
  constexpr uint32_t kPort = 5001;
  Fd host = Establish(kPort);
  ASSERT_TRUE(host);
  FillCanary(*memory_, GuestAddress(kCanaryStart), kRamBytes - kCanaryStart);
  RawQueue rx(memory_.get(), kQueueSize, driver_->desc_table(0),
              driver_->avail_ring(0), driver_->used_ring(0), 1, 1, 1);
  for (int i = 0; i < 128; ++i) rx.Place({RawBuf{Buffer(kHdr + 4096), kHdr + 4096, true}});
  rx.Publish();
  driver_->Kick(0);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    const std::string chunk = RandomBytes(4096, 3);
    while (!stop.load()) {
      // Ends with an error once the reset closed the connection.
      if (::send(host.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
          errno != EAGAIN) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  });
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (static_cast<uint16_t>(rx.UsedIdx() - 1) < 16 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GE(static_cast<uint16_t>(rx.UsedIdx() - 1), 16) << "no data before the reset";
  driver_->Reset();
  ASSERT_FALSE(device_->activated());
  const std::vector<uint8_t> at_reset = Snapshot(*memory_, GuestAddress(0), kRamBytes);
  const uint64_t one = 1;
  ASSERT_EQ(::write(device_->kick_fd(0), &one, sizeof(one)), 8);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  stop = true;
  writer.join();
  EXPECT_EQ(WriteMap().Diff(*memory_, GuestAddress(0), at_reset), "") << "written after reset";
}

}  // namespace
}  // namespace testing
}  // namespace virtio
}  // namespace vmm
