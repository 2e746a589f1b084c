// Figures, not a test: host<->device stream throughput and connection setup
// rate through the host-side driver (the test plays the guest through
// virtio-mmio), beside a plain host unix socket pair.
//   bazel run //tests/vsock:vsock_bench -- --mib=64 --conns=2000
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/vsock/vsock_rig.h"

namespace vmm {
namespace virtio {
namespace testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kChunk = 64 * 1024;

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void Die(const absl::Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, std::string(s.message()).c_str());
  std::exit(1);
}

std::unique_ptr<VsockRig> MakeRig() {
  VsockDeviceOptions o;
  o.uds_path = VsockRig::TempSocketPath("bench");
  auto rig = VsockRig::Create(o, kChunk + sizeof(VsockHdr), 128);
  Die(rig.status(), "rig");
  return std::move(*rig);
}

// Host writes `bytes`; the guest reads and returns credit every 256 KiB.
double HostToGuest(size_t bytes) {
  auto rig = MakeRig();
  auto fd = HostConnect(rig->uds(), 1);
  Die(fd.status(), "connect");
  auto req = rig->Recv();
  Die(req.status(), "request");
  const uint32_t hport = req->hdr.src_port;
  constexpr uint32_t kBuf = 1u << 20;
  Die(rig->Send(rig->Hdr(kVsockOpResponse, 1, hport, 0, kBuf)), "response");
  Die(ReadLine(fd->get()).status(), "OK line");
  const std::string chunk(kChunk, 'x');
  const auto t0 = Clock::now();
  std::thread writer([&] {
    for (size_t off = 0; off < bytes; off += kChunk) Die(WriteAll(fd->get(), chunk), "write");
  });
  size_t got = 0;
  uint32_t last_credit = 0;
  while (got < bytes) {
    auto p = rig->Recv();
    Die(p.status(), "recv");
    got += p->data.size();
    if (got - last_credit >= kBuf / 4) {
      last_credit = static_cast<uint32_t>(got);
      Die(rig->Send(rig->Hdr(kVsockOpCreditUpdate, 1, hport, 0, kBuf, last_credit)), "credit");
    }
  }
  const double s = Seconds(t0);
  writer.join();
  return bytes / s / (1 << 20);
}

// The guest sends `bytes` within the device's credit; a host thread reads.
double GuestToHost(size_t bytes) {
  auto rig = MakeRig();
  auto l = Listen(rig->uds() + "_2");
  Die(l.status(), "listen");
  Die(rig->Send(rig->Hdr(kVsockOpRequest, 9, 2)), "request");
  auto resp = rig->Recv();
  Die(resp.status(), "response");
  uint32_t peer_buf = resp->hdr.buf_alloc, peer_fwd = resp->hdr.fwd_cnt;
  Fd conn(::accept(l->get(), nullptr, nullptr));
  const auto t0 = Clock::now();
  std::thread reader([&] { Die(ReadExactly(conn.get(), bytes).status(), "host read"); });
  const std::string chunk(kChunk, 'y');
  size_t sent = 0;
  while (sent < bytes) {
    const uint32_t credit = peer_buf - (static_cast<uint32_t>(sent) - peer_fwd);
    if (credit >= 4096) {
      // Like a Linux guest: send what the credit allows, up to 64 KiB.
      const uint32_t n = static_cast<uint32_t>(std::min<size_t>({credit, kChunk, bytes - sent}));
      Die(rig->Send(rig->Hdr(kVsockOpRw, 9, 2, n), chunk.substr(0, n)), "send");
      sent += n;
    } else {
      auto p = rig->Recv();
      Die(p.status(), "credit update");
      peer_fwd = p->hdr.fwd_cnt;
      peer_buf = p->hdr.buf_alloc;
    }
  }
  reader.join();
  const double s = Seconds(t0);
  ::unlink((rig->uds() + "_2").c_str());
  return bytes / s / (1 << 20);
}

// Host connect + CONNECT line + guest RESPONSE + OK line, then close.
double ConnectRate(int n) {
  auto rig = MakeRig();
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto fd = HostConnect(rig->uds(), 3);
    Die(fd.status(), "connect");
    auto req = rig->Recv();
    Die(req.status(), "request");
    Die(rig->Send(rig->Hdr(kVsockOpResponse, 3, req->hdr.src_port)), "response");
    Die(ReadLine(fd->get()).status(), "OK");
    fd->Reset();
    auto sh = rig->Recv();  // SHUTDOWN: the host went away.
    Die(sh.status(), "shutdown");
    Die(rig->Send(rig->Hdr(kVsockOpRst, 3, req->hdr.src_port)), "rst");
  }
  return n / Seconds(t0);
}

// Guest REQUEST -> device connects to <uds>_P (a host thread accepts and
// closes) -> RESPONSE; then the guest's SHUTDOWN and the device's RST.
double GuestConnectRate(int n) {
  auto rig = MakeRig();
  const std::string path = rig->uds() + "_5";
  auto l = Listen(path);
  Die(l.status(), "listen");
  std::thread acceptor([&] {
    for (int i = 0; i < n; ++i) Fd c(::accept(l->get(), nullptr, nullptr));
  });
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    const uint32_t port = 40000 + static_cast<uint32_t>(i);
    Die(rig->Send(rig->Hdr(kVsockOpRequest, port, 5)), "request");
    for (;;) {  // RESPONSE, and perhaps the SHUTDOWN of the host's close.
      auto p = rig->Recv();
      Die(p.status(), "response");
      if (p->hdr.op == kVsockOpResponse) break;
    }
    VsockHdr sh = rig->Hdr(kVsockOpShutdown, port, 5);
    sh.flags = kVsockShutdownRcv | kVsockShutdownSend;
    Die(rig->Send(sh), "shutdown");
    for (;;) {
      auto p = rig->Recv();
      Die(p.status(), "rst");
      if (p->hdr.op == kVsockOpRst) break;
    }
  }
  const double rate = n / Seconds(t0);
  acceptor.join();
  ::unlink(path.c_str());
  return rate;
}

double UnixPairThroughput(size_t bytes) {
  int sv[2];
  ::socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  Fd a(sv[0]), b(sv[1]);
  const std::string chunk(kChunk, 'z');
  const auto t0 = Clock::now();
  std::thread writer([&] {
    for (size_t off = 0; off < bytes; off += kChunk) Die(WriteAll(a.get(), chunk), "write");
  });
  Die(ReadExactly(b.get(), bytes).status(), "read");
  writer.join();
  return bytes / Seconds(t0) / (1 << 20);
}

double UnixConnectRate(int n) {
  const std::string path = VsockRig::TempSocketPath("ux");
  auto l = Listen(path);
  Die(l.status(), "listen");
  std::thread server([&] {
    for (int i = 0; i < n; ++i) {
      Fd c(::accept(l->get(), nullptr, nullptr));
      (void)ReadLine(c.get());
      Die(WriteAll(c.get(), "OK 1\n"), "ok");
    }
  });
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto fd = HostConnect(path, 3);
    Die(fd.status(), "connect");
    Die(ReadLine(fd->get()).status(), "OK");
  }
  const double rate = n / Seconds(t0);
  server.join();
  ::unlink(path.c_str());
  return rate;
}

}  // namespace
}  // namespace testing
}  // namespace virtio
}  // namespace vmm

int main(int argc, char** argv) {
  using namespace vmm::virtio::testing;
  size_t mib = 64;
  int conns = 2000;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (absl::ConsumePrefix(&a, "--mib=")) (void)absl::SimpleAtoi(a, &mib);
    if (absl::ConsumePrefix(&a, "--conns=")) (void)absl::SimpleAtoi(a, &conns);
  }
  const size_t bytes = mib << 20;
  const double h2g = HostToGuest(bytes), g2h = GuestToHost(bytes), pair = UnixPairThroughput(bytes);
  const double rate = ConnectRate(conns), grate = GuestConnectRate(conns);
  const double urate = UnixConnectRate(conns);
  std::printf("host->guest stream   %8.1f MiB/s\n", h2g);
  std::printf("guest->host stream   %8.1f MiB/s\n", g2h);
  std::printf("unix socketpair      %8.1f MiB/s   (ratio h2g %.2f, g2h %.2f)\n", pair, h2g / pair,
              g2h / pair);
  std::printf("vsock connect setup  %8.0f conn/s   (host CONNECT -> OK, close, RST)\n", rate);
  std::printf("vsock guest connect  %8.0f conn/s   (REQUEST -> RESPONSE, SHUTDOWN -> RST)\n",
              grate);
  std::printf("unix connect+line    %8.0f conn/s   (ratio host %.2f, guest %.2f)\n", urate,
              rate / urate, grate / urate);
  return 0;
}
