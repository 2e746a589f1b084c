// The API surface of a real vmmd: error codes and messages, health,
// reflection, the socket's permissions, and TCP with mutual TLS.

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_test_base.h"
#include "tests/e2e/health.grpc.pb.h"
#include "tests/e2e/reflection.pb.h"
#include "vmm/base/fd.h"
#include "vmm/worker/files.h"

namespace vmm::e2e {
namespace {

int CountVmDirs(const std::string& state_dir) {
  DIR* d = opendir((state_dir + "/vms").c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

TEST_F(E2eTest, BadRequestsGetExactCodesAndNothingIsHalfCreated) {
  ASSERT_TRUE(CreateVm(stub(), PayloadSpec("web1", "ticker")).ok());

  v1::Vm vm;
  grpc::Status s = GetVm(stub(), "nope", &vm);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "vm nope not found");

  s = CreateVm(stub(), PayloadSpec("web1", "hello"));
  EXPECT_EQ(s.error_code(), grpc::ALREADY_EXISTS);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "web1")) << s.error_message();

  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  v1::VmSpec spec = PayloadSpec("web2", "ticker", 0);
  s = CreateVm(stub(), spec);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), absl::StrCat("spec.vcpus=0: must be 1..", std::min(64L, 8 * cpus)));

  spec = PayloadSpec("web2", "ticker");
  spec.set_memory_mib(uint64_t{1} << 40);
  s = CreateVm(stub(), spec);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "spec.memory_mib=1099511627776: must be 1.."))
      << s.error_message();

  spec = PayloadSpec("web2", "ticker");
  spec.mutable_boot()->mutable_payload()->set_path("/nonexistent/payload.bin");
  s = CreateVm(stub(), spec);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "spec.boot.payload.path=/nonexistent/payload.bin: No such file or directory; give "
            "an existing, readable file");

  spec = PayloadSpec("web2", "ticker");
  spec.clear_boot();
  spec.mutable_boot()->mutable_kernel()->set_kernel_path("/nonexistent/bzImage");
  EXPECT_EQ(CreateVm(stub(), spec).error_code(), grpc::INVALID_ARGUMENT);

  spec = PayloadSpec("bad name!", "ticker");
  EXPECT_EQ(CreateVm(stub(), spec).error_code(), grpc::INVALID_ARGUMENT);
  spec = PayloadSpec("web2", "ticker");
  spec.set_arch(v1::ARCH_UNSPECIFIED);
  EXPECT_EQ(CreateVm(stub(), spec).error_code(), grpc::INVALID_ARGUMENT);

  // Wrong state for the call.
  grpc::ClientContext pctx;
  v1::PauseVmRequest preq;
  *preq.mutable_vm() = Ref("web1");
  s = stub()->PauseVm(&pctx, preq, &vm);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "vm web1 is CREATED; StartVm it first");
  s = StopVm(stub(), "web1", 0, false);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION);

  // A VmRef must name the VM.
  grpc::ClientContext gctx;
  v1::GetVmRequest greq;
  s = stub()->GetVm(&gctx, greq, &vm);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "vm: set exactly one of id or name");
  s = StartVm(stub(), "ghost");
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);

  // A boot file that vanished after CreateVm: StartVm says so.
  std::string copy = dir_ + "/ticker-copy.bin";
  absl::StatusOr<std::string> bytes = ReadFileToString(PayloadPath("ticker"));
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(AtomicWriteFile(copy, *bytes).ok());
  spec = PayloadSpec("vanish", "ticker");
  spec.mutable_boot()->mutable_payload()->set_path(copy);
  ASSERT_TRUE(CreateVm(stub(), spec).ok());
  ASSERT_EQ(unlink(copy.c_str()), 0);
  s = StartVm(stub(), "vanish");
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "ticker-copy.bin")) << s.error_message();
  ASSERT_TRUE(GetVm(stub(), "vanish", &vm).ok());
  EXPECT_EQ(vm.status().state(), v1::CREATED);

  // Only the two good VMs exist, in the API and on disk.
  grpc::ClientContext lctx;
  v1::ListVmsResponse list;
  ASSERT_TRUE(stub()->ListVms(&lctx, v1::ListVmsRequest(), &list).ok());
  EXPECT_EQ(list.vms_size(), 2);
  EXPECT_EQ(CountVmDirs(daemon_->state_dir()), 2);
}

// What a generated stub for grpc.reflection.v1alpha.ServerReflection would
// do (see reflection.proto for why there is none here).
std::unique_ptr<grpc::ClientReaderWriter<reflection::ServerReflectionRequest,
                                         reflection::ServerReflectionResponse>>
ReflectionStream(const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* ctx) {
  static const grpc::internal::RpcMethod kMethod(
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      grpc::internal::RpcMethod::BIDI_STREAMING);
  return std::unique_ptr<grpc::ClientReaderWriter<reflection::ServerReflectionRequest,
                                                  reflection::ServerReflectionResponse>>(
      grpc::internal::ClientReaderWriterFactory<
          reflection::ServerReflectionRequest,
          reflection::ServerReflectionResponse>::Create(channel.get(), kMethod, ctx));
}

TEST_F(E2eTest, SocketIsPrivateHealthAndReflectionAnswer) {
  struct stat st;
  ASSERT_EQ(stat(daemon_->socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto health = grpc::health::v1::Health::NewStub(daemon_->channel());
  for (const char* service : {"", "vmm.v1.VmService"}) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    ASSERT_TRUE(health->Check(&ctx, req, &resp).ok()) << service;
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }

  grpc::ClientContext ctx;
  auto stream = ReflectionStream(daemon_->channel(), &ctx);
  reflection::ServerReflectionRequest req;
  req.set_list_services("*");
  ASSERT_TRUE(stream->Write(req));
  stream->WritesDone();
  reflection::ServerReflectionResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  std::vector<std::string> names;
  for (const auto& s : resp.list_services_response().service()) names.push_back(s.name());
  EXPECT_NE(std::find(names.begin(), names.end(), "vmm.v1.VmService"), names.end());
  EXPECT_TRUE(stream->Finish().ok());
}

int FreeTcpPort() {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> s = ReadFileToString(path);
  return s.ok() ? *s : "";
}

grpc::Status ListOver(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::VmService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::ListVmsResponse resp;
  return stub->ListVms(&ctx, v1::ListVmsRequest(), &resp);
}

TEST(TlsTest, TcpNeedsAClientCertificateAndNeverRunsPlaintext) {
  std::string dir = MakeTempDir();
  // A self-signed CA; server and client certificates signed by it.
  std::string script = absl::StrCat(
      "set -e; cd ", dir, "\n",
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca "
      "  -keyout ca.key -out ca.pem 2>/dev/null\n",
      "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext\n",
      "for who in server client; do\n",
      "  openssl req -newkey rsa:2048 -nodes -subj /CN=$who -keyout $who.key -out $who.csr "
      "    2>/dev/null\n",
      "  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "    -extfile san.ext -out $who.pem 2>/dev/null\n",
      "done\n");
  ASSERT_EQ(system(script.c_str()), 0);

  // Plain TCP is refused at startup.
  {
    Daemon plain(dir + "/plain");
    mkdir((dir + "/plain").c_str(), 0700);
    absl::Status s = plain.Start({"--listen-tcp=127.0.0.1:1"});
    EXPECT_FALSE(s.ok());
    EXPECT_TRUE(absl::StrContains(s.message(), "never serves plaintext")) << s;
  }

  int port = FreeTcpPort();
  std::string target = absl::StrCat("127.0.0.1:", port);
  Daemon daemon(dir);
  absl::Status s =
      daemon.Start({"--listen-tcp=" + target, "--tls-cert=" + dir + "/server.pem",
                    "--tls-key=" + dir + "/server.key", "--tls-client-ca=" + dir + "/ca.pem"});
  ASSERT_TRUE(s.ok()) << s;

  grpc::SslCredentialsOptions no_cert;
  no_cert.pem_root_certs = Read(dir + "/ca.pem");
  grpc::Status refused = ListOver(grpc::CreateChannel(target, grpc::SslCredentials(no_cert)));
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.error_code(), grpc::UNAVAILABLE) << refused.error_message();

  grpc::SslCredentialsOptions with_cert = no_cert;
  with_cert.pem_cert_chain = Read(dir + "/client.pem");
  with_cert.pem_private_key = Read(dir + "/client.key");
  grpc::Status ok = ListOver(grpc::CreateChannel(target, grpc::SslCredentials(with_cert)));
  EXPECT_TRUE(ok.ok()) << ok.error_message() << "\n" << daemon.Log();

  // Plaintext to the TLS port gets nothing either.
  grpc::Status plaintext =
      ListOver(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  EXPECT_FALSE(plaintext.ok());
  daemon.Stop(SIGTERM);
  if (!::testing::Test::HasFailure()) RemoveTree(dir);
}

}  // namespace
}  // namespace vmm::e2e
