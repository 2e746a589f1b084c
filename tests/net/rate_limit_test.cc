// The per-NIC rate limiter on real traffic: the configured rate holds within
// 10% and a change while running takes effect.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <thread>

#include "devices/virtio/net/net_spec.h"
#include "gtest/gtest.h"
#include "tests/net/net_rig.h"

namespace vmm {
namespace net_testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kPayload = 1472;
constexpr double kFrame = kPayload + 42;  // What the limiter counts.

class RateLimitTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(EnterNewNetns().ok()); }
};

virtio::RateLimit Bytes(uint64_t rate) {
  virtio::RateLimit r;
  r.bytes = {rate, rate / 10};  // 100 ms of burst.
  return r;
}

// Bytes per second (frames x kFrame) counted by `count` over `seconds`
// after `warmup` (which skips the initial burst) while `pump` runs.
double Measure(const std::atomic<uint64_t>& count, double warmup, double seconds,
               const std::function<void()>& pump) {
  const auto t0 = Clock::now();
  uint64_t c0 = 0;
  bool started = false;
  Clock::time_point ts;
  for (;;) {
    pump();
    const double t = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!started && t >= warmup) {
      c0 = count.load();
      ts = Clock::now();
      started = true;
    }
    if (t >= warmup + seconds) break;
  }
  const double dt = std::chrono::duration<double>(Clock::now() - ts).count();
  return static_cast<double>(count.load() - c0) * kFrame / dt;
}

TEST_F(RateLimitTest, TxRateHoldsAndChangesWhileRunning) {
  RigOptions o;
  o.device.tx_limit = Bytes(4'000'000);
  absl::StatusOr<std::unique_ptr<NetRig>> rig = NetRig::Create(o);
  ASSERT_TRUE(rig.ok()) << rig.status();
  NetRig& r = **rig;
  absl::StatusOr<Fd> sock = UdpSocket(kHostIp, 5000, 500);
  ASSERT_TRUE(sock.ok());
  std::atomic<uint64_t> received{0};
  std::atomic<bool> stop{false};
  std::thread host([&] {
    std::vector<uint8_t> buf(2048);
    while (!stop.load()) {
      if (::recv(sock->get(), buf.data(), buf.size(), 0) > 0) received.fetch_add(1);
    }
  });
  const std::vector<uint8_t> frame =
      BuildUdp(r.guest_mac(), r.host_mac(), kGuestIp, kHostIp, 6000, 5000,
               std::vector<uint8_t>(kPayload, 0x33));
  uint64_t n = 0;
  auto pump = [&] { (void)r.Send(0, frame, {}, ++n % 8 == 0); };
  const double rate1 = Measure(received, 0.5, 3.0, pump);
  r.device().SetRateLimit({}, Bytes(8'000'000));
  const double rate2 = Measure(received, 0.5, 2.0, pump);
  stop.store(true);
  (void)r.FlushTx(0);
  host.join();
  std::printf("tx limited: %.2f MB/s (limit 4), then %.2f MB/s (limit 8)\n", rate1 / 1e6,
              rate2 / 1e6);
  EXPECT_NEAR(rate1, 4e6, 0.4e6);
  EXPECT_NEAR(rate2, 8e6, 0.8e6);
  EXPECT_GT(r.device().counters().tx_rate_limited, 0u);
  EXPECT_EQ(r.device().counters().tx_drops, 0u);
}

TEST_F(RateLimitTest, RxRateHolds) {
  RigOptions o;
  o.device.rx_limit = Bytes(3'000'000);
  absl::StatusOr<std::unique_ptr<NetRig>> rig = NetRig::Create(o);
  ASSERT_TRUE(rig.ok()) << rig.status();
  NetRig& r = **rig;
  absl::StatusOr<Fd> sock = UdpSocket(kHostIp, 5000, 500);
  ASSERT_TRUE(sock.ok());
  std::atomic<bool> stop{false};
  // The host offers ~2.5x the limit; the tap drops what the guest does not
  // take in time.
  std::thread host([&] {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(kGuestIp);
    to.sin_port = htons(6000);
    std::vector<uint8_t> p(kPayload, 0x44);
    while (!stop.load()) {
      for (int i = 0; i < 5; ++i) {
        (void)::sendto(sock->get(), p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to),
                       sizeof(to));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::atomic<uint64_t> got{0};
  auto pump = [&] {
    if (std::optional<std::vector<uint8_t>> f = r.Receive(0, std::chrono::milliseconds(50))) {
      if (f->size() == kFrame) got.fetch_add(1);
    }
  };
  const double rate = Measure(got, 0.5, 3.0, pump);
  stop.store(true);
  host.join();
  std::printf("rx limited: %.2f MB/s (limit 3)\n", rate / 1e6);
  EXPECT_NEAR(rate, 3e6, 0.3e6);
  EXPECT_GT(r.device().counters().rx_rate_limited, 0u);
}

}  // namespace
}  // namespace net_testing
}  // namespace vmm
