#include "tests/e2e/daemon_fixture.h"

#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "vmm/manager/worker_process.h"
#include "vmm/worker/files.h"

namespace vmm::e2e {

std::string Runfile(const std::string& path) {
  const char* srcdir = getenv("TEST_SRCDIR");
  return absl::StrCat(srcdir != nullptr ? srcdir : ".", "/", path);
}

std::string PayloadPath(const std::string& name) {
  return Runfile(absl::StrCat("vmm/tests/guests/", name, ".bin"));
}

std::string MakeTempDir() {
  char tmpl[] = "/tmp/e2e.XXXXXX";
  char* d = mkdtemp(tmpl);
  return d != nullptr ? d : "/tmp";
}

void RemoveTree(const std::string& dir) {
  auto remove = [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); };
  nftw(dir.c_str(), remove, 16, FTW_DEPTH | FTW_PHYS);
}

Daemon::Daemon(std::string dir)
    : dir_(std::move(dir)),
      socket_path_(dir_ + "/run/vmmd.sock"),
      state_dir_(dir_ + "/state"),
      log_path_(dir_ + "/vmmd.log") {}

Daemon::~Daemon() {
  if (pid_ != 0) Stop(SIGKILL);
}

absl::Status Daemon::Start(const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {
      Runfile("vmm/api/vmmd"),
      "--socket=" + socket_path_,
      "--state-dir=" + state_dir_,
      "--worker=" + Runfile("vmm/vmm/worker/vmm-worker"),
  };
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  absl::StatusOr<manager::SpawnedProcess> p = manager::SpawnDetached(argv, log_path_);
  if (!p.ok()) return p.status();
  pid_ = p->pid;
  pidfd_ = std::move(p->pidfd);
  grpc::ChannelArguments args;
  // The socket appears a few ms after spawn; the default reconnect backoff
  // (1 s and growing) would make every start take seconds.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  channel_ =
      grpc::CreateCustomChannel("unix:" + socket_path_, grpc::InsecureChannelCredentials(), args);
  stub_ = v1::VmService::NewStub(channel_);
  absl::Time deadline = absl::Now() + kTimeout;
  while (absl::Now() < deadline) {
    if (manager::WaitForExit(pidfd_.get(), absl::ZeroDuration())) {
      std::string how = Stop(0);
      return absl::InternalError(absl::StrCat("vmmd ", how, "; log:\n", Log()));
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    // Without it, a call made while the channel is in backoff after the
    // first refused connect fails at once, for seconds.
    ctx.set_wait_for_ready(true);
    v1::ListVmsResponse resp;
    if (stub_->ListVms(&ctx, v1::ListVmsRequest(), &resp).ok()) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat("vmmd did not answer; log:\n", Log()));
}

std::string Daemon::Stop(int signal) {
  if (pid_ == 0) return "not running";
  // Close our connection first, as a CLI would: like any gRPC server, vmmd
  // gives connected clients up to its shutdown grace period.
  stub_.reset();
  channel_.reset();
  if (signal != 0) manager::SignalProcess(pidfd_.get(), signal).IgnoreError();
  manager::WaitForExit(pidfd_.get(), kTimeout);
  absl::StatusOr<manager::ChildExit> exit = manager::ReapChild(pid_);
  pid_ = 0;
  pidfd_.Reset();
  return exit.ok() ? exit->description : std::string(exit.status().message());
}

std::string Daemon::Log() const {
  absl::StatusOr<std::string> text = ReadFileToString(log_path_, 16 << 20);
  return text.ok() ? *text : std::string(text.status().message());
}

void KillWorkers(const std::string& state_dir) {
  std::string vms = state_dir + "/vms";
  DIR* d = opendir(vms.c_str());
  if (d == nullptr) return;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    absl::StatusOr<std::string> text =
        ReadFileToString(absl::StrCat(vms, "/", e->d_name, "/worker.pid"));
    int pid = 0;
    if (text.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &pid) && pid > 1) {
      kill(pid, SIGKILL);
    }
  }
  closedir(d);
}

v1::VmRef Ref(const std::string& name) {
  v1::VmRef r;
  r.set_name(name);
  return r;
}

v1::VmSpec PayloadSpec(const std::string& name, const std::string& payload, uint32_t vcpus) {
  v1::VmSpec spec;
  spec.set_name(name);
  spec.set_arch(v1::X86_64);
  spec.set_vcpus(vcpus);
  spec.set_memory_mib(16);
  spec.mutable_boot()->mutable_payload()->set_path(PayloadPath(payload));
  return spec;
}

namespace {
void SetDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
}
}  // namespace

grpc::Status CreateVm(v1::VmService::Stub* stub, const v1::VmSpec& spec, v1::Vm* out) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::CreateVmRequest req;
  *req.mutable_spec() = spec;
  v1::Vm vm;
  grpc::Status s = stub->CreateVm(&ctx, req, &vm);
  if (out != nullptr) *out = vm;
  return s;
}

grpc::Status StartVm(v1::VmService::Stub* stub, const std::string& name, v1::Vm* out) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::StartVmRequest req;
  *req.mutable_vm() = Ref(name);
  v1::Vm vm;
  grpc::Status s = stub->StartVm(&ctx, req, &vm);
  if (out != nullptr) *out = vm;
  return s;
}

grpc::Status GetVm(v1::VmService::Stub* stub, const std::string& name, v1::Vm* out) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetVmRequest req;
  *req.mutable_vm() = Ref(name);
  return stub->GetVm(&ctx, req, out);
}

grpc::Status StopVm(v1::VmService::Stub* stub, const std::string& name, uint32_t timeout_ms,
                    bool force, v1::Vm* out) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::StopVmRequest req;
  *req.mutable_vm() = Ref(name);
  req.set_timeout_ms(timeout_ms);
  req.set_force(force);
  v1::Vm vm;
  grpc::Status s = stub->StopVm(&ctx, req, &vm);
  if (out != nullptr) *out = vm;
  return s;
}

v1::Vm WaitForState(v1::VmService::Stub* stub, const std::string& name, v1::State state) {
  absl::Time deadline = absl::Now() + kTimeout;
  v1::Vm vm;
  while (absl::Now() < deadline) {
    vm.Clear();
    if (GetVm(stub, name, &vm).ok() && vm.status().state() == state) return vm;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ADD_FAILURE() << name << " never reached " << v1::State_Name(state) << "; last "
                << vm.status().ShortDebugString();
  return vm;
}

ConsoleClient::ConsoleClient(v1::VmService::Stub* stub, const std::string& vm, bool replay) {
  stream_ = stub->StreamConsole(&ctx_);
  v1::ConsoleRequest first;
  *first.mutable_vm() = Ref(vm);
  first.set_replay(replay);
  stream_->Write(first);
  reader_ = std::thread([this] {
    v1::ConsoleResponse resp;
    while (stream_->Read(&resp)) {
      absl::MutexLock lock(&mu_);
      output_ += resp.output();
    }
    grpc::Status s = stream_->Finish();
    absl::MutexLock lock(&mu_);
    status_ = s;
    ended_ = true;
  });
}

ConsoleClient::~ConsoleClient() {
  ctx_.TryCancel();
  reader_.join();
}

bool ConsoleClient::WaitFor(const std::string& needle, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto found = [this, &needle]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return ended_ || absl::StrContains(output_, needle);
  };
  mu_.AwaitWithTimeout(absl::Condition(&found), timeout);
  return absl::StrContains(output_, needle);
}

bool ConsoleClient::Send(const std::string& input) {
  v1::ConsoleRequest req;
  req.set_input(input);
  return stream_->Write(req);
}

std::string ConsoleClient::output() {
  absl::MutexLock lock(&mu_);
  return output_;
}

size_t ConsoleClient::size() {
  absl::MutexLock lock(&mu_);
  return output_.size();
}

grpc::Status ConsoleClient::Finish(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ended = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return ended_; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ended), timeout)) {
    return grpc::Status(grpc::DEADLINE_EXCEEDED, "console stream did not end");
  }
  return status_;
}

}  // namespace vmm::e2e
