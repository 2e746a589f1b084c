// Capture: pcap with LINKTYPE_VSOCK, decoded by the real tshark.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/vsock/vsock_rig.h"

extern char** environ;

namespace vmm {
namespace virtio {
namespace testing {
namespace {

constexpr const char* kTshark = "/usr/bin/tshark";
constexpr const char* kFields[] = {"-T", "fields",          "-E", "separator=,",
                                   "-e", "vsock.src_cid",   "-e", "vsock.dst_cid",
                                   "-e", "vsock.src_port",  "-e", "vsock.dst_port",
                                   "-e", "vsock.virtio.op", "-e", "vsock.virtio.len"};

struct Row {
  uint64_t src_cid = 0, dst_cid = 0;
  uint32_t src_port = 0, dst_port = 0, op = 0, len = 0;
};

std::string TempFile(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name, "_", ::getpid());
}

// Runs tshark with `input_fd` (or -1) as stdin; returns its exit status and
// stdout.
std::pair<int, std::string> RunTshark(const std::string& file, int input_fd) {
  const std::string out = TempFile("tshark_out");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (input_fd >= 0) posix_spawn_file_actions_adddup2(&fa, input_fd, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> args = {kTshark, "-r", file};
  for (const char* f : kFields) args.push_back(f);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  const int rc = posix_spawn(&pid, kTshark, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return {-1, ""};
  if (input_fd >= 0) ::close(input_fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  ::unlink(out.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ss.str()};
}

std::vector<Row> Parse(const std::string& text) {
  std::vector<Row> rows;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    Row r;
    if (f.size() != 6 || !absl::SimpleAtoi(f[0], &r.src_cid) ||
        !absl::SimpleAtoi(f[1], &r.dst_cid) || !absl::SimpleAtoi(f[2], &r.src_port) ||
        !absl::SimpleAtoi(f[3], &r.dst_port) || !absl::SimpleAtoi(f[4], &r.op) ||
        !absl::SimpleAtoi(f[5], &r.len)) {
      ADD_FAILURE() << "unparsed tshark line: " << line;
      continue;
    }
    rows.push_back(r);
  }
  return rows;
}

bool Has(const std::vector<Row>& rows, uint64_t src_cid, uint32_t src_port, uint64_t dst_cid,
         uint32_t dst_port, uint32_t op) {
  for (const Row& r : rows) {
    if (r.src_cid == src_cid && r.src_port == src_port && r.dst_cid == dst_cid &&
        r.dst_port == dst_port && r.op == op) {
      return true;
    }
  }
  return false;
}

std::unique_ptr<VsockRig> MakeRig() {
  VsockDeviceOptions o;
  o.uds_path = VsockRig::TempSocketPath("cap");
  auto rig = VsockRig::Create(o);
  EXPECT_TRUE(rig.ok()) << rig.status();
  return rig.ok() ? std::move(*rig) : nullptr;
}

// A whole conversation: host connects to guest port 1234, data both ways,
// the guest shuts down both ways, the device resets. Returns the host port.
uint32_t Conversation(VsockRig& rig) {
  auto fd = HostConnect(rig.uds(), 1234);
  EXPECT_TRUE(fd.ok());
  auto req = rig.Recv();
  EXPECT_TRUE(req.ok());
  if (!fd.ok() || !req.ok()) return 0;
  const uint32_t hport = req->hdr.src_port;
  EXPECT_TRUE(rig.Send(rig.Hdr(kVsockOpResponse, 1234, hport)).ok());
  EXPECT_TRUE(ReadLine(fd->get()).ok());
  EXPECT_TRUE(WriteAll(fd->get(), "ping").ok());
  auto p = rig.Recv();
  EXPECT_TRUE(p.ok() && p->data == "ping");
  EXPECT_TRUE(rig.Send(rig.Hdr(kVsockOpRw, 1234, hport, 4), "pong").ok());
  EXPECT_TRUE(ReadExactly(fd->get(), 4).ok());
  VsockHdr sh = rig.Hdr(kVsockOpShutdown, 1234, hport);
  sh.flags = kVsockShutdownRcv | kVsockShutdownSend;
  EXPECT_TRUE(rig.Send(sh).ok());
  p = rig.Recv();
  EXPECT_TRUE(p.ok() && p->hdr.op == kVsockOpRst);
  return hport;
}

void ExpectConversation(const std::vector<Row>& rows, uint32_t hport) {
  const uint64_t g = VsockRig::kGuestCid, h = kVsockHostCid;
  EXPECT_TRUE(Has(rows, h, hport, g, 1234, kVsockOpRequest));
  EXPECT_TRUE(Has(rows, g, 1234, h, hport, kVsockOpResponse));
  EXPECT_TRUE(Has(rows, h, hport, g, 1234, kVsockOpRw));
  EXPECT_TRUE(Has(rows, g, 1234, h, hport, kVsockOpRw));
  EXPECT_TRUE(Has(rows, g, 1234, h, hport, kVsockOpShutdown));
  EXPECT_TRUE(Has(rows, h, hport, g, 1234, kVsockOpRst));
}

TEST(VsockCaptureTest, TsharkDecodesFile) {
  ASSERT_EQ(::access(kTshark, X_OK), 0) << "apt-get install -y tshark";
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  const std::string file = TempFile("vsock.pcap");
  ASSERT_TRUE(rig->device().StartCapture(file).ok());
  EXPECT_TRUE(rig->device().capturing());
  const uint32_t hport = Conversation(*rig);
  rig->device().Reset();  // The file stays valid across a device reset.
  rig->device().StopCapture();
  EXPECT_FALSE(rig->device().capturing());
  auto [rc, out] = RunTshark(file, -1);
  ASSERT_EQ(rc, 0) << out;
  const std::vector<Row> rows = Parse(out);
  EXPECT_EQ(rows.size(), 6u) << out;
  ExpectConversation(rows, hport);
  for (const Row& r : rows) {
    if (r.op == kVsockOpRw) {
      EXPECT_EQ(r.len, 4u);
    }
  }
  ::unlink(file.c_str());
}

TEST(VsockCaptureTest, StreamsToTsharkThroughAPipe) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  ASSERT_TRUE(rig->device().StartCaptureFd(Fd(p[1])).ok());
  std::pair<int, std::string> result;
  std::thread reader([&] { result = RunTshark("-", p[0]); });
  const uint32_t hport = Conversation(*rig);
  rig->device().StopCapture();  // Closes the pipe: tshark sees EOF.
  reader.join();
  ASSERT_EQ(result.first, 0) << result.second;
  ExpectConversation(Parse(result.second), hport);
}

TEST(VsockCaptureTest, CaptureStartedMidwayAndRestarted) {
  auto rig = MakeRig();
  ASSERT_NE(rig, nullptr);
  Conversation(*rig);  // Not captured.
  const std::string file = TempFile("vsock2.pcap");
  ASSERT_TRUE(rig->device().StartCapture(file).ok());
  const uint32_t hport = Conversation(*rig);
  rig->device().StopCapture();
  Conversation(*rig);  // Not captured either.
  auto [rc, out] = RunTshark(file, -1);
  ASSERT_EQ(rc, 0);
  const std::vector<Row> rows = Parse(out);
  EXPECT_EQ(rows.size(), 6u);
  ExpectConversation(rows, hport);
  ::unlink(file.c_str());
}

// The VMM (here: a child process) killed with SIGKILL mid-capture: every
// record it wrote is whole, so tshark reads the file without error.
TEST(VsockCaptureTest, FileParsesAfterKillDashNine) {
  const std::string file = TempFile("vsock_kill.pcap");
  const std::string uds = VsockRig::TempSocketPath("kill");  // Left by the killed child.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(ready[0]);
    VsockDeviceOptions o;
    o.uds_path = uds;
    auto rig = VsockRig::Create(o);
    if (!rig.ok() || !(*rig)->device().StartCapture(file).ok()) ::_exit(2);
    VsockRig& r = **rig;
    for (int i = 0;; ++i) {
      // Guest->host connection attempts to absent listeners: REQUEST + RST,
      // plus payload-carrying packets (answered with RST).
      (void)r.Send(r.Hdr(kVsockOpRequest, 10000 + (i % 50000), 9));
      (void)r.Send(r.Hdr(kVsockOpRw, 10000 + (i % 50000), 9, 1000), std::string(1000, 'k'));
      (void)r.Recv(std::chrono::milliseconds(100));
      (void)r.Recv(std::chrono::milliseconds(100));
      if (i == 100) (void)!::write(ready[1], "r", 1);
    }
  }
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ::usleep(50 * 1000);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto [rc, out] = RunTshark(file, -1);
  EXPECT_EQ(rc, 0);
  const std::vector<Row> rows = Parse(out);
  EXPECT_GE(rows.size(), 400u);
  ::unlink(file.c_str());
  ::unlink(uds.c_str());
}

}  // namespace
}  // namespace testing
}  // namespace virtio
}  // namespace vmm
