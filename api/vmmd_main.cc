// vmmd: the VM manager daemon. Serves vmm.v1.VmService (plus gRPC health and
// reflection) on a unix socket (0600) and optionally on TCP with mutual TLS.
// SIGTERM/SIGINT: stop serving and exit, leaving workers running for the
// next vmmd to re-adopt.

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "api/daemon_options.h"
#include "api/validation.h"
#include "api/vm_service.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/log.h"
#include "vmm/manager/vm_manager.h"
#include "vmm/worker/files.h"

namespace vmm::api {
namespace {

absl::Status MkdirParents(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      std::string prefix = path.substr(0, i);
      if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
        return ErrnoStatus(absl::StrCat("mkdir ", prefix));
      }
    }
  }
  return absl::OkStatus();
}

std::string SelfExe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

int Fail(absl::string_view event, const absl::Status& s) {
  Log(LogLevel::kError, "vmmd", event, {{"error", std::string(s.message())}});
  return 1;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TlsCredentials(const DaemonOptions& o) {
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  absl::StatusOr<std::string> cert = ReadFileToString(o.tls_cert);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFileToString(o.tls_key);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = ReadFileToString(o.tls_client_ca);
  if (!ca.ok()) return ca.status();
  ssl.pem_root_certs = *ca;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(ssl);
}

int Run(int argc, char** argv) {
  absl::StatusOr<DaemonOptions> opts =
      ParseDaemonOptions(std::vector<std::string>(argv + 1, argv + argc));
  if (!opts.ok()) {
    std::cerr << opts.status().message() << "\n" << kDaemonUsage;
    return 2;
  }
  if (opts->debug_log) SetMinLogLevel(LogLevel::kDebug);
  // Sockets, specs and logs are the daemon's alone.
  ::umask(077);
  // Handled by sigwait below; blocked before any thread starts so that every
  // thread inherits the mask (workers get theirs reset at spawn).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  manager::ManagerOptions mopts;
  mopts.state_dir = opts->state_dir;
  mopts.worker_binary =
      opts->worker_binary.empty() ? DefaultWorkerBinary(SelfExe()) : opts->worker_binary;
  absl::Status s = MkdirParents(opts->state_dir);
  if (!s.ok()) return Fail("state_dir_failed", s);
  absl::StatusOr<std::unique_ptr<manager::VmManager>> manager = manager::VmManager::Open(mopts);
  if (!manager.ok()) return Fail("manager_failed", manager.status());

  std::string socket_dir = opts->socket_path.substr(0, opts->socket_path.rfind('/'));
  if (!socket_dir.empty()) {
    s = MkdirParents(socket_dir);
    if (!s.ok()) return Fail("socket_dir_failed", s);
  }
  struct stat st;
  if (::lstat(opts->socket_path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Fail("socket_path_taken", absl::FailedPreconditionError(absl::StrCat(
                                           opts->socket_path, " exists and is not a socket")));
    }
    ::unlink(opts->socket_path.c_str());  // Left by an earlier vmmd.
  }

  VmServiceImpl service(manager->get(), ProbeHostLimits());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + opts->socket_path, grpc::InsecureServerCredentials());
  int tcp_port = 0;
  if (!opts->listen_tcp.empty()) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds = TlsCredentials(*opts);
    if (!creds.ok()) return Fail("tls_failed", creds.status());
    builder.AddListeningPort(opts->listen_tcp, *creds, &tcp_port);
  }
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || (!opts->listen_tcp.empty() && tcp_port == 0)) {
    return Fail("listen_failed", absl::UnavailableError(absl::StrCat(
                                     "cannot listen on ", opts->socket_path,
                                     opts->listen_tcp.empty() ? "" : " / ", opts->listen_tcp)));
  }
  if (::chmod(opts->socket_path.c_str(), 0600) != 0) {
    return Fail("chmod_failed", ErrnoStatus(absl::StrCat("chmod ", opts->socket_path)));
  }
  server->GetHealthCheckService()->SetServingStatus("vmm.v1.VmService", true);
  Log(LogLevel::kInfo, "vmmd", "serving",
      {{"socket", opts->socket_path},
       {"tcp",
        opts->listen_tcp.empty() ? "off" : absl::StrCat(opts->listen_tcp, " port=", tcp_port)},
       {"state_dir", opts->state_dir},
       {"worker", mopts.worker_binary},
       {"pid", absl::StrCat(::getpid())}});

  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  Log(LogLevel::kInfo, "vmmd", "shutting_down", {{"signal", strsignal(sig)}});
  server->GetHealthCheckService()->SetServingStatus(false);
  service.BeginShutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(3));
  server->Wait();
  (*manager)->Shutdown();
  ::unlink(opts->socket_path.c_str());
  Log(LogLevel::kInfo, "vmmd", "stopped");
  return 0;
}

}  // namespace
}  // namespace vmm::api

int main(int argc, char** argv) { return vmm::api::Run(argc, argv); }
