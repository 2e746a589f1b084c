// Drives Client against a real gRPC server on a unix socket. The server is a
// small in-memory VmService (until vmmd exists, tests/cli drives the real
// daemon); what is under test is the client's RPC use: name-then-id lookup,
// error codes, streams, console detach.

#include "tools/vmctl/client.h"

#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tools/vmctl/console.h"

namespace vmctl {
namespace {

using grpc::ServerContext;
using grpc::Status;
using grpc::StatusCode;

class InMemoryVmService final : public vmm::v1::VmService::Service {
 public:
  Status CreateVm(ServerContext*, const vmm::v1::CreateVmRequest* req, vmm::v1::Vm* vm) override {
    absl::MutexLock lock(&mu_);
    for (auto& [id, v] : vms_) {
      if (v.spec().name() == req->spec().name()) {
        return Status(StatusCode::ALREADY_EXISTS,
                      absl::StrCat("name ", req->spec().name(), " is taken"));
      }
    }
    vm->set_id(absl::StrCat("id", vms_.size() + 1));
    *vm->mutable_spec() = req->spec();
    vm->mutable_status()->set_state(vmm::v1::CREATED);
    vm->mutable_status()->set_reason(vmm::v1::DEFINED);
    vms_[vm->id()] = *vm;
    return Status::OK;
  }
  Status StartVm(ServerContext*, const vmm::v1::StartVmRequest* req, vmm::v1::Vm* vm) override {
    absl::MutexLock lock(&mu_);
    ++start_calls_;
    vmm::v1::Vm* v = Find(req->vm());
    if (v == nullptr) return NotFound(req->vm());
    v->mutable_status()->set_state(vmm::v1::RUNNING);
    v->mutable_status()->set_reason(vmm::v1::BOOTED);
    *vm = *v;
    return Status::OK;
  }
  Status GetVm(ServerContext*, const vmm::v1::GetVmRequest* req, vmm::v1::Vm* vm) override {
    absl::MutexLock lock(&mu_);
    vmm::v1::Vm* v = Find(req->vm());
    if (v == nullptr) return NotFound(req->vm());
    *vm = *v;
    return Status::OK;
  }
  Status ListVms(ServerContext*, const vmm::v1::ListVmsRequest*,
                 vmm::v1::ListVmsResponse* resp) override {
    absl::MutexLock lock(&mu_);
    for (auto& [id, v] : vms_) *resp->add_vms() = v;
    return Status::OK;
  }
  Status DeleteVm(ServerContext*, const vmm::v1::DeleteVmRequest* req,
                  vmm::v1::DeleteVmResponse*) override {
    absl::MutexLock lock(&mu_);
    vmm::v1::Vm* v = Find(req->vm());
    if (v == nullptr) return NotFound(req->vm());
    vms_.erase(v->id());
    return Status::OK;
  }
  Status WatchEvents(ServerContext*, const vmm::v1::WatchEventsRequest* req,
                     grpc::ServerWriter<vmm::v1::VmEvent>* writer) override {
    vmm::v1::VmEvent ev;
    ev.set_vm_id(req->vm().id());
    ev.set_vm_name("filtered-by-id");
    ev.mutable_status()->set_state(vmm::v1::PAUSED);
    ev.mutable_status()->set_reason(vmm::v1::USER_PAUSED);
    writer->Write(ev);
    ev.set_deleted(true);
    writer->Write(ev);
    return Status::OK;
  }
  // Echoes input back upper-cased; "bye" ends the stream from the server.
  Status StreamConsole(ServerContext*,
                       grpc::ServerReaderWriter<vmm::v1::ConsoleResponse, vmm::v1::ConsoleRequest>*
                           stream) override {
    vmm::v1::ConsoleRequest req;
    if (!stream->Read(&req)) return Status::OK;
    if (req.vm().id().empty()) {
      return Status(StatusCode::INVALID_ARGUMENT, "first message: no vm id");
    }
    vmm::v1::ConsoleResponse resp;
    if (req.replay()) {
      resp.set_output("[replay]");
      stream->Write(resp);
    }
    while (stream->Read(&req)) {
      resp.set_output(absl::AsciiStrToUpper(req.input()));
      stream->Write(resp);
      if (req.input().find("bye") != std::string::npos) return Status::OK;
    }
    resp.set_output("[eof]");
    stream->Write(resp);
    return Status::OK;
  }

  int start_calls() {
    absl::MutexLock lock(&mu_);
    return start_calls_;
  }

 private:
  vmm::v1::Vm* Find(const vmm::v1::VmRef& ref) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto& [id, v] : vms_) {
      if ((ref.has_id() && id == ref.id()) || (ref.has_name() && v.spec().name() == ref.name())) {
        return &v;
      }
    }
    return nullptr;
  }
  static Status NotFound(const vmm::v1::VmRef& ref) {
    return Status(StatusCode::NOT_FOUND, ref.has_id() ? absl::StrCat("no VM with id ", ref.id())
                                                      : absl::StrCat("no VM named ", ref.name()));
  }

  absl::Mutex mu_;
  std::map<std::string, vmm::v1::Vm> vms_ ABSL_GUARDED_BY(mu_);
  int start_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // TEST_TMPDIR is too deep for sun_path's 108 bytes.
    char dir[] = "/tmp/vmctl_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    socket_ = absl::StrCat(dir_, "/vmmd.sock");
    grpc::ServerBuilder builder;
    builder.AddListeningPort(absl::StrCat("unix:", socket_), grpc::InsecureServerCredentials());
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    Connection conn;
    conn.socket = socket_;
    auto channel = MakeChannel(conn);
    ASSERT_TRUE(channel.ok()) << channel.status();
    stub_ = vmm::v1::VmService::NewStub(*channel);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
    unlink(socket_.c_str());
    rmdir(dir_.c_str());
  }

  // Runs `args` and returns the output; the status goes to *status.
  std::string Run(std::vector<std::string> args, absl::Status* status) {
    auto inv = ParseArgs(args);
    if (!inv.ok()) {
      *status = inv.status();
      return "";
    }
    std::ostringstream out;
    Client client(*stub_, out);
    *status = client.Run(*inv);
    return out.str();
  }
  std::string MustRun(std::vector<std::string> args) {
    absl::Status s;
    std::string out = Run(args, &s);
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  InMemoryVmService service_;
  std::string dir_;
  std::string socket_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<vmm::v1::VmService::Stub> stub_;
};

TEST_F(ClientTest, CreateListGetDelete) {
  std::string out = MustRun({"create", "web1", "--payload", "/p.bin"});
  EXPECT_NE(out.find("web1  id1  created  defined  1      256MiB  auto"), std::string::npos) << out;
  out = MustRun({"list"});
  EXPECT_EQ(out.substr(0, out.find('\n')), "NAME  ID   STATE    REASON   VCPUS  MEMORY  ACCEL");
  out = MustRun({"--json", "list"});
  EXPECT_NE(out.find(R"("name":"web1")"), std::string::npos) << out;
  out = MustRun({"get", "web1"});
  EXPECT_NE(out.find("Boot:         payload /p.bin"), std::string::npos) << out;
  EXPECT_EQ(MustRun({"delete", "web1"}), "deleted web1\n");
  EXPECT_EQ(MustRun({"list"}).find("web1"), std::string::npos);
}

TEST_F(ClientTest, NameThenIdFallback) {
  MustRun({"create", "web1", "--payload", "/p.bin"});
  // "id1" is a valid name but no VM has it: retried as an id.
  std::string out = MustRun({"start", "id1"});
  EXPECT_NE(out.find("web1  id1  running  booted"), std::string::npos) << out;
  EXPECT_EQ(service_.start_calls(), 2);
  // --id goes straight to the id.
  MustRun({"start", "--id", "id1"});
  EXPECT_EQ(service_.start_calls(), 3);
  // Unknown either way: the name's error is reported.
  absl::Status s;
  Run({"start", "ghost"}, &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "no VM named ghost");
  EXPECT_EQ(absl::StatusCodeToString(s.code()), "NOT_FOUND");
}

TEST_F(ClientTest, ErrorsKeepTheDaemonsCode) {
  MustRun({"create", "web1", "--payload", "/p.bin"});
  absl::Status s;
  Run({"create", "web1", "--payload", "/p.bin"}, &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "name web1 is taken");
  // Unimplemented RPCs come back as such.
  Run({"pause", "web1"}, &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  // A missing --spec file is a local error.
  Run({"create", "--spec", "/nonexistent/vm.json"}, &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, NoDaemonIsUnavailable) {
  server_->Shutdown();
  unlink(socket_.c_str());
  absl::Status s;
  Run({"list"}, &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
}

TEST_F(ClientTest, WatchResolvesNameToId) {
  MustRun({"create", "web1", "--payload", "/p.bin"});
  std::string out = MustRun({"watch", "web1"});
  EXPECT_EQ(out,
            "- filtered-by-id id1 paused user_paused\n"
            "- filtered-by-id id1 deleted\n");
  out = MustRun({"--json", "watch", "web1"});
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
  EXPECT_NE(out.find(R"("deleted":true)"), std::string::npos) << out;
}

// Pipes stand in for the terminal: not a tty, so no raw mode.
class Pipe {
 public:
  Pipe() { EXPECT_EQ(pipe2(fds_, O_CLOEXEC), 0); }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  int r() const { return fds_[0]; }
  int w() const { return fds_[1]; }
  void CloseRead() {
    if (fds_[0] >= 0) close(std::exchange(fds_[0], -1));
  }
  void CloseWrite() {
    if (fds_[1] >= 0) close(std::exchange(fds_[1], -1));
  }
  std::string ReadAll() {
    std::string s;
    char buf[256];
    ssize_t n;
    while ((n = read(r(), buf, sizeof(buf))) > 0) s.append(buf, n);
    return s;
  }

 private:
  int fds_[2] = {-1, -1};
};

ConsoleOptions Options(int in, int out) {
  ConsoleOptions o;
  o.vm.set_id("id1");
  o.in_fd = in;
  o.out_fd = out;
  return o;
}

// Reads `fd` until `needle` shows up (or EOF); returns all that was read.
std::string ReadUntil(int fd, const std::string& needle) {
  std::string s;
  char buf[256];
  while (s.find(needle) == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    s.append(buf, n);
  }
  return s;
}

TEST_F(ClientTest, ConsoleDetachByte) {
  Pipe in, out;
  ConsoleOptions o = Options(in.r(), out.w());
  o.replay = true;
  absl::Status s;
  std::thread console([&] { s = RunConsole(*stub_, o); });
  // Like a person: see the output, type, see the echo, then press Ctrl-].
  EXPECT_EQ(ReadUntil(out.r(), "[replay]"), "[replay]");
  ASSERT_EQ(write(in.w(), "hello", 5), 5);
  EXPECT_EQ(ReadUntil(out.r(), "HELLO"), "HELLO");
  // The stream stays open (stdin is not at EOF): only Ctrl-] ends it, and
  // what follows it on the same read is not sent.
  ASSERT_EQ(write(in.w(), "\x1dignored", 8), 8);
  console.join();
  EXPECT_TRUE(s.ok()) << s;
  out.CloseWrite();
  std::string rest = out.ReadAll();
  EXPECT_EQ(rest.find("IGNORED"), std::string::npos) << rest;
}

TEST_F(ClientTest, ConsoleEofHalfClosesAndDrainsOutput) {
  Pipe in, out;
  ASSERT_EQ(write(in.w(), "abc", 3), 3);
  in.CloseWrite();
  absl::Status s = RunConsole(*stub_, Options(in.r(), out.w()));
  EXPECT_TRUE(s.ok()) << s;
  out.CloseWrite();
  EXPECT_EQ(out.ReadAll(), "ABC[eof]");
}

TEST_F(ClientTest, ConsoleServerEndsStream) {
  Pipe in, out;
  ASSERT_EQ(write(in.w(), "bye", 3), 3);
  absl::Status s = RunConsole(*stub_, Options(in.r(), out.w()));
  EXPECT_TRUE(s.ok()) << s;
  out.CloseWrite();
  EXPECT_EQ(out.ReadAll(), "BYE");
}

TEST_F(ClientTest, ConsoleTimeoutDetaches) {
  Pipe in, out;  // No input, no EOF: only the timeout ends it.
  ConsoleOptions o = Options(in.r(), out.w());
  o.timeout_ms = 300;
  absl::Status s = RunConsole(*stub_, o);
  EXPECT_TRUE(s.ok()) << s;
}

TEST_F(ClientTest, ConsoleErrorFromServer) {
  Pipe in, out;
  ConsoleOptions o = Options(in.r(), out.w());
  o.vm.set_name("web1");  // The in-memory server insists on an id.
  absl::Status s = RunConsole(*stub_, o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

}  // namespace
}  // namespace vmctl
