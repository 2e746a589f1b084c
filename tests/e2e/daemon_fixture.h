#ifndef TESTS_E2E_DAEMON_FIXTURE_H_
#define TESTS_E2E_DAEMON_FIXTURE_H_

// Runs a real vmmd (from the test's runfiles) on a temporary socket and state
// directory, and offers the small helpers the end-to-end tests share.

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/vmm/v1/vmm.grpc.pb.h"
#include "vmm/base/fd.h"

namespace vmm::e2e {

// Generous: the host has 2 cores and other tests run beside these.
inline constexpr absl::Duration kTimeout = absl::Seconds(60);

std::string Runfile(const std::string& path);      // "vmm/..." under TEST_SRCDIR.
std::string PayloadPath(const std::string& name);  // tests/guests/<name>.bin
std::string MakeTempDir();                         // Short path under /tmp (unix socket limit).
void RemoveTree(const std::string& dir);

class Daemon {
 public:
  // `dir` holds the socket, the state directory and the daemon's log.
  explicit Daemon(std::string dir);
  ~Daemon();  // Kills the daemon if still running (workers are not).

  // Starts vmmd and waits until it answers on its socket.
  absl::Status Start(const std::vector<std::string>& extra_args = {});
  // SIGTERM (graceful) or SIGKILL, then reaps it. Returns its wait status
  // description.
  std::string Stop(int signal);
  pid_t pid() const { return pid_; }

  const std::string& socket_path() const { return socket_path_; }
  const std::string& state_dir() const { return state_dir_; }
  std::string Log() const;

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  v1::VmService::Stub* stub() { return stub_.get(); }

 private:
  std::string dir_, socket_path_, state_dir_, log_path_;
  pid_t pid_ = 0;
  Fd pidfd_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::VmService::Stub> stub_;
};

// Kills every worker whose VM dir is under `state_dir` (test cleanup: the
// daemon deliberately leaves workers running when it stops).
void KillWorkers(const std::string& state_dir);

v1::VmRef Ref(const std::string& name);
v1::VmSpec PayloadSpec(const std::string& name, const std::string& payload, uint32_t vcpus = 1);

// Unary helpers returning the gRPC status and filling *out.
grpc::Status CreateVm(v1::VmService::Stub* stub, const v1::VmSpec& spec, v1::Vm* out = nullptr);
grpc::Status StartVm(v1::VmService::Stub* stub, const std::string& name, v1::Vm* out = nullptr);
grpc::Status GetVm(v1::VmService::Stub* stub, const std::string& name, v1::Vm* out);
grpc::Status StopVm(v1::VmService::Stub* stub, const std::string& name, uint32_t timeout_ms,
                    bool force, v1::Vm* out = nullptr);

// Polls GetVm until the VM is in `state` (or kTimeout); returns the last Vm.
v1::Vm WaitForState(v1::VmService::Stub* stub, const std::string& name, v1::State state);

// One StreamConsole client collecting output on a background thread.
class ConsoleClient {
 public:
  ConsoleClient(v1::VmService::Stub* stub, const std::string& vm, bool replay);
  ~ConsoleClient();
  // Waits until the collected output contains `needle`.
  bool WaitFor(const std::string& needle, absl::Duration timeout = kTimeout);
  bool Send(const std::string& input);
  std::string output();
  size_t size();
  // Waits for the stream to end and returns its status.
  grpc::Status Finish(absl::Duration timeout = kTimeout);

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ConsoleRequest, v1::ConsoleResponse>> stream_;
  absl::Mutex mu_;
  std::string output_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  std::thread reader_;
};

}  // namespace vmm::e2e

#endif  // TESTS_E2E_DAEMON_FIXTURE_H_
