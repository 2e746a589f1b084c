#include "devices/virtio/vsock/pcap_writer.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace vmm {
namespace virtio {
namespace {

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

template <typename T>
T At(const std::vector<uint8_t>& b, size_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof(T));
  return v;
}

TEST(PcapWriterTest, FileHeaderAndRecordLayout) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/pcap_writer_test.pcap";
  auto w = PcapWriter::OpenFile(path);
  ASSERT_TRUE(w.ok()) << w.status();
  VsockHdr h{};
  h.src_cid = 2;
  h.dst_cid = 42;
  h.src_port = 1000;
  h.dst_port = 2000;
  h.len = 3;
  h.type = kVsockTypeStream;
  h.op = kVsockOpRw;
  const uint8_t data[] = {'a', 'b', 'c'};
  ASSERT_TRUE((*w)->Write(h, data).ok());
  h.op = kVsockOpRst;
  h.len = 0;
  ASSERT_TRUE((*w)->Write(h, {}).ok());
  EXPECT_EQ((*w)->packets(), 2u);
  const std::vector<uint8_t> b = ReadFile(path);
  ASSERT_EQ(b.size(), 24u + (16 + 32 + 44 + 3) + (16 + 32 + 44));
  EXPECT_EQ(At<uint32_t>(b, 0), 0xa1b2c3d4u);
  EXPECT_EQ(At<uint32_t>(b, 20), kLinkTypeVsock);
  EXPECT_EQ(At<uint32_t>(b, 24 + 8), 32u + 44 + 3);  // incl_len
  const size_t mon = 24 + 16;
  EXPECT_EQ(At<uint64_t>(b, mon), 2u);
  EXPECT_EQ(At<uint64_t>(b, mon + 8), 42u);
  EXPECT_EQ(At<uint32_t>(b, mon + 16), 1000u);
  EXPECT_EQ(At<uint32_t>(b, mon + 20), 2000u);
  EXPECT_EQ(At<uint16_t>(b, mon + 24), kAfVsockOpPayload);
  EXPECT_EQ(At<uint16_t>(b, mon + 26), kAfVsockTransportVirtio);
  EXPECT_EQ(At<uint16_t>(b, mon + 28), 44u);
  EXPECT_EQ(b[mon + 32 + 44], 'a');
  EXPECT_EQ(At<uint16_t>(b, 24 + 16 + 32 + 44 + 3 + 16 + 24), kAfVsockOpDisconnect);
  ::unlink(path.c_str());
}

TEST(PcapWriterTest, OpMapping) {
  EXPECT_EQ(VsockmonOp(kVsockOpRequest), kAfVsockOpConnect);
  EXPECT_EQ(VsockmonOp(kVsockOpResponse), kAfVsockOpConnect);
  EXPECT_EQ(VsockmonOp(kVsockOpShutdown), kAfVsockOpDisconnect);
  EXPECT_EQ(VsockmonOp(kVsockOpCreditUpdate), kAfVsockOpControl);
  EXPECT_EQ(VsockmonOp(999), kAfVsockOpUnknown);
}

TEST(PcapWriterTest, ClosedPipeIsAnErrorNotASignal) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  ::close(p[0]);
  // SIGPIPE would kill the test; the device thread blocks it the same way.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto w = PcapWriter::FromFd(Fd(p[1]));
  EXPECT_FALSE(w.ok());  // Even the file header cannot be written.
}

TEST(PcapWriterTest, MissingDirectoryIsAnError) {
  auto w = PcapWriter::OpenFile("/nonexistent/dir/x.pcap");
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("/nonexistent/dir/x.pcap"), std::string::npos);
}

}  // namespace
}  // namespace virtio
}  // namespace vmm
