// Figures, not a test: virtio-net through the GuestDriver beside a plain
// tap write/read loop on the same kind of tap, in a private netns.
//   bazel run -c opt //tests/net:net_bench -- --seconds=3
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "devices/virtio/net/net_spec.h"
#include "devices/virtio/net/tap.h"
#include "tests/net/net_rig.h"

namespace vmm {
namespace net_testing {
namespace {

using Clock = std::chrono::steady_clock;

double Secs(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Counts datagrams and payload bytes arriving at `fd` until `stop`.
struct Counter {
  std::atomic<uint64_t> packets{0}, bytes{0};
  std::atomic<bool> stop{false};
  std::thread thread;
  void Start(int fd) {
    thread = std::thread([this, fd] {
      std::vector<uint8_t> buf(65536);
      while (!stop.load()) {
        ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n > 0) {
          packets.fetch_add(1);
          bytes.fetch_add(static_cast<uint64_t>(n));
        }
      }
    });
  }
  void Stop() {
    stop.store(true);
    thread.join();
  }
};

void Report(const char* what, uint64_t packets, uint64_t payload_bytes, double secs) {
  std::printf("%-44s %9.0f pkt/s %9.1f MB/s payload\n", what, packets / secs,
              payload_bytes / secs / 1e6);
}

// Guest -> host: frames of `payload` bytes for `seconds`, through the device.
void DeviceTx(double seconds, size_t payload, const char* label, bool gso = false) {
  absl::StatusOr<std::unique_ptr<NetRig>> rig = NetRig::Create({});
  if (!rig.ok()) return (void)std::printf("rig: %s\n", rig.status().ToString().c_str());
  NetRig& r = **rig;
  absl::StatusOr<Fd> sock = UdpSocket(kHostIp, 5000, 200);
  Counter c;
  c.Start(sock->get());
  const std::vector<uint8_t> frame =
      BuildUdp(r.guest_mac(), r.host_mac(), kGuestIp, kHostIp, 6000, 5000,
               std::vector<uint8_t>(payload, 0x55), gso);
  virtio::VirtioNetHdr h{};
  if (gso) {
    h.flags = virtio::kNetHdrFNeedsCsum;
    h.gso_type = virtio::kNetHdrGsoUdp;
    h.gso_size = 1480;
    h.hdr_len = 42;
    h.csum_start = 34;
    h.csum_offset = 6;
  }
  uint64_t n = 0;
  const auto t0 = Clock::now();
  while (Secs(t0) < seconds) (void)r.Send(0, frame, h, ++n % 32 == 0);
  (void)r.FlushTx(0);
  const double secs = Secs(t0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  c.Stop();
  Report(label, c.packets.load(), c.bytes.load(), secs);
}

// Host -> guest through the device: a host thread sends as fast as it can.
void DeviceRx(double seconds, size_t payload, const char* label) {
  absl::StatusOr<std::unique_ptr<NetRig>> rig = NetRig::Create({});
  if (!rig.ok()) return;
  NetRig& r = **rig;
  absl::StatusOr<Fd> sock = UdpSocket(kHostIp, 5000, 200);
  std::atomic<bool> stop{false};
  std::thread host([&] {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(kGuestIp);
    to.sin_port = htons(6000);
    std::vector<uint8_t> p(payload, 0x66);
    while (!stop.load()) {
      (void)::sendto(sock->get(), p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof(to));
    }
  });
  uint64_t packets = 0, bytes = 0;
  const auto t0 = Clock::now();
  while (Secs(t0) < seconds) {
    if (auto f = r.Receive(0, std::chrono::milliseconds(100))) {
      ++packets;
      bytes += f->size() >= 42 ? f->size() - 42 : 0;
    }
  }
  const double secs = Secs(t0);
  stop.store(true);
  host.join();
  Report(label, packets, bytes, secs);
}

// The same traffic with no device: frames written / read straight on a tap
// fd (with a zero vnet header) by one thread.
void PlainTap(double seconds, size_t payload, bool tx, const char* label) {
  virtio::TapOptions o;
  o.name = "plain0";
  absl::StatusOr<virtio::Tap> tap = virtio::Tap::Open(o);
  if (!tap.ok()) return (void)std::printf("tap: %s\n", tap.status().ToString().c_str());
  const Mac gm = virtio::GenerateMac(9, 0);
  if (!ConfigureHost("plain0", kHostIp, 24).ok() || !AddNeighbor("plain0", kGuestIp, gm).ok()) {
    return;
  }
  absl::StatusOr<Mac> hm = InterfaceMac("plain0");
  absl::StatusOr<Fd> sock = UdpSocket(kHostIp, 5000, 200);
  const int fd = tap->fd(0);
  if (tx) {
    Counter c;
    c.Start(sock->get());
    std::vector<uint8_t> buf(12, 0);
    std::vector<uint8_t> frame = BuildUdp(gm, *hm, kGuestIp, kHostIp, 6000, 5000,
                                          std::vector<uint8_t>(payload, 0x55));
    buf.insert(buf.end(), frame.begin(), frame.end());
    const auto t0 = Clock::now();
    while (Secs(t0) < seconds) {
      for (int i = 0; i < 64; ++i) (void)!::write(fd, buf.data(), buf.size());
    }
    const double secs = Secs(t0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    c.Stop();
    Report(label, c.packets.load(), c.bytes.load(), secs);
    return;
  }
  std::atomic<bool> stop{false};
  std::thread host([&] {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(kGuestIp);
    to.sin_port = htons(6000);
    std::vector<uint8_t> p(payload, 0x66);
    while (!stop.load()) {
      (void)::sendto(sock->get(), p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof(to));
    }
  });
  std::vector<uint8_t> buf(70000);
  uint64_t packets = 0, bytes = 0;
  const auto t0 = Clock::now();
  while (Secs(t0) < seconds) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) {
      std::this_thread::yield();
      continue;
    }
    if (n >= 12 + 42) {
      ++packets;
      bytes += static_cast<uint64_t>(n) - 12 - 42;
    }
  }
  const double secs = Secs(t0);
  stop.store(true);
  host.join();
  Report(label, packets, bytes, secs);
}

int Main(int argc, char** argv) {
  double seconds = 3;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (absl::ConsumePrefix(&a, "--seconds=") && absl::SimpleAtod(a, &seconds)) continue;
    std::fprintf(stderr, "usage: net_bench [--seconds=N]\n");
    return 2;
  }
  if (absl::Status s = EnterNewNetns(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("%.1f s each, UDP through a tap in a private netns\n", seconds);
  DeviceTx(seconds, 1472, "virtio-net guest->host 1472 B");
  DeviceTx(seconds, 18, "virtio-net guest->host 64 B frames");
  DeviceTx(seconds, 60000, "virtio-net guest->host 60000 B UDP GSO", true);
  DeviceRx(seconds, 1472, "virtio-net host->guest 1472 B");
  DeviceRx(seconds, 18, "virtio-net host->guest 64 B frames");
  PlainTap(seconds, 1472, true, "plain tap write loop 1472 B");
  PlainTap(seconds, 18, true, "plain tap write loop 64 B frames");
  PlainTap(seconds, 1472, false, "plain tap read loop 1472 B");
  PlainTap(seconds, 18, false, "plain tap read loop 64 B frames");
  return 0;
}

}  // namespace
}  // namespace net_testing
}  // namespace vmm

int main(int argc, char** argv) { return vmm::net_testing::Main(argc, argv); }
