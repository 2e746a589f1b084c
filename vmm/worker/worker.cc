#include "vmm/worker/worker.h"

#include <fcntl.h>
#include <google/protobuf/text_format.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "proto/vmm/v1/vmm.pb.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/fd.h"
#include "vmm/base/log.h"
#include "vmm/worker/console_buffer.h"
#include "vmm/worker/control.pb.h"
#include "vmm/worker/control_service.h"
#include "vmm/worker/counters_proto.h"
#include "vmm/worker/files.h"
#include "vmm/worker/layout.h"
#include "vmm/worker/net_backends.h"
#include "vmm/worker/net_control_service.h"
#include "vmm/worker/seccomp_filter.h"
#include "vmm/worker/spec_convert.h"

namespace vmm::worker {
namespace {

// Recent console output kept for replay to newly attached clients.
constexpr size_t kConsoleRing = 256 * 1024;
// sockaddr_un.sun_path is 108 bytes including the terminating NUL.
constexpr size_t kMaxSocketPath = 107;

int ExitCodeFor(ExitRecord::Kind kind) {
  switch (kind) {
    case ExitRecord::POWER_OFF:
      return kExitPowerOff;
    case ExitRecord::STOPPED:
      return kExitStopped;
    case ExitRecord::GUEST_CRASH:
      return kExitGuestCrash;
    default:
      return kExitStartFailed;
  }
}

int Finish(const std::string& vm_dir, ExitRecord::Kind kind, const std::string& message,
           uint32_t boot_count, const MachineCounters& counters = {}) {
  ExitRecord record;
  record.set_kind(kind);
  record.set_message(message);
  record.set_boot_count(boot_count);
  record.set_pid(::getpid());
  CountersToProto(counters, record.mutable_counters());
  std::string text;
  google::protobuf::TextFormat::PrintToString(record, &text);
  absl::Status s = AtomicWriteFile(absl::StrCat(vm_dir, "/", kExitFile), text);
  if (!s.ok()) {
    Log(LogLevel::kError, "worker", "exit_record_failed", {{"error", std::string(s.message())}});
  }
  Log(LogLevel::kInfo, "worker", "exit",
      {{"kind", ExitRecord::Kind_Name(kind)}, {"message", message}});
  return ExitCodeFor(kind);
}

// Appends console output to the per-VM log file. Errors are logged once:
// a full disk must not stop the guest.
class ConsoleLog {
 public:
  explicit ConsoleLog(const std::string& path)
      : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) {
    if (!fd_) {
      Log(LogLevel::kWarning, "worker", "console_log_open_failed",
          {{"path", path}, {"error", std::string(ErrnoStatus("open").message())}});
    }
  }
  void Write(absl::string_view bytes) {
    if (!fd_ || failed_) return;
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failed_ = true;
        Log(LogLevel::kWarning, "worker", "console_log_write_failed");
        return;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

 private:
  Fd fd_;
  bool failed_ = false;
};

// The VM's id: the last component of <state dir>/vms/<id>.
std::string VmIdOf(const std::string& vm_dir) {
  size_t slash = vm_dir.find_last_of('/');
  return slash == std::string::npos ? vm_dir : vm_dir.substr(slash + 1);
}

}  // namespace

void HardenWorkerProcess() {
  ::umask(077);
  // Nothing this process executes may gain privileges (setuid binaries,
  // file capabilities); also a prerequisite for an unprivileged seccomp
  // filter.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    Log(LogLevel::kWarning, "worker", "no_new_privs_failed",
        {{"error", std::string(ErrnoStatus("prctl").message())}});
  }
  ::signal(SIGPIPE, SIG_IGN);
  // Logged, not fatal: the filter is defence in depth, and a kernel without
  // seccomp should still run VMs.
  absl::Status s = InstallWorkerSeccompFilter();
  if (!s.ok()) {
    Log(LogLevel::kError, "worker", "seccomp_failed", {{"error", std::string(s.message())}});
  }
}

int RunWorker(const std::string& vm_dir, const MachineFactory& factory) {
  std::string socket_path = absl::StrCat(vm_dir, "/", kControlSocket);
  if (socket_path.size() > kMaxSocketPath) {
    return Finish(vm_dir, ExitRecord::START_FAILED,
                  absl::StrCat("control socket path ", socket_path, " is longer than ",
                               kMaxSocketPath, " bytes"),
                  0);
  }
  absl::StatusOr<std::string> text = ReadFileToString(absl::StrCat(vm_dir, "/", kSpecFile));
  if (!text.ok())
    return Finish(vm_dir, ExitRecord::START_FAILED, std::string(text.status().message()), 0);
  v1::VmSpec spec;
  if (!google::protobuf::TextFormat::ParseFromString(*text, &spec)) {
    return Finish(vm_dir, ExitRecord::START_FAILED, "spec.txtpb: not a valid VmSpec", 0);
  }
  absl::StatusOr<MachineSpec> machine_spec = ToMachineSpec(spec);
  if (!machine_spec.ok()) {
    return Finish(vm_dir, ExitRecord::START_FAILED, std::string(machine_spec.status().message()),
                  0);
  }

  // Taps and the vsock socket path, for the worker's whole life.
  if (machine_spec->vm_id.empty()) machine_spec->vm_id = VmIdOf(vm_dir);
  absl::StatusOr<std::unique_ptr<NetBackends>> net = NetBackends::Open(vm_dir, &*machine_spec);
  if (!net.ok()) {
    return Finish(vm_dir, ExitRecord::START_FAILED, std::string(net.status().message()), 0);
  }
  NetBackends* backends = net->get();
  MachineFactory net_factory = [&factory, backends](const MachineSpec& spec,
                                                    ConsoleOutput output) {
    absl::StatusOr<std::unique_ptr<Machine>> m =
        factory(backends->ForNextMachine(spec), std::move(output));
    if (m.ok()) backends->AttachTo(m->get());
    return m;
  };

  ConsoleBuffer console(kConsoleRing);
  ConsoleLog console_log(absl::StrCat(vm_dir, "/", kConsoleLog));
  VmRunner runner(*machine_spec, net_factory, [&](absl::string_view bytes) {
    console.Append(bytes);
    console_log.Write(bytes);
  });
  ControlService service(&runner, &console,
                         [&runner](absl::string_view bytes) { runner.SendConsoleInput(bytes); });
  NetControlService net_service(&runner, backends);

  ::unlink(socket_path.c_str());  // A stale socket from an earlier run.
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket_path, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  builder.RegisterService(&net_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    return Finish(vm_dir, ExitRecord::START_FAILED, absl::StrCat("cannot listen on ", socket_path),
                  0);
  }
  // umask already makes it 0600; be explicit, it is the VM's control.
  ::chmod(socket_path.c_str(), 0600);
  absl::Status pid_written =
      AtomicWriteFile(absl::StrCat(vm_dir, "/", kPidFile), absl::StrCat(::getpid(), "\n"));
  if (!pid_written.ok()) {
    Log(LogLevel::kWarning, "worker", "pid_file_failed",
        {{"error", std::string(pid_written.message())}});
  }
  Log(LogLevel::kInfo, "worker", "serving", {{"socket", socket_path}, {"vm", spec.name()}});

  RunnerExit exit = runner.Run();
  ExitRecord::Kind kind = ExitRecord::STOPPED;
  switch (exit.kind) {
    case RunnerExit::Kind::kPowerOff:
      kind = ExitRecord::POWER_OFF;
      break;
    case RunnerExit::Kind::kStopped:
      kind = ExitRecord::STOPPED;
      break;
    case RunnerExit::Kind::kGuestCrash:
      kind = ExitRecord::GUEST_CRASH;
      break;
    case RunnerExit::Kind::kStartFailed:
      kind = ExitRecord::START_FAILED;
      break;
  }
  int code = Finish(vm_dir, kind, exit.message, exit.boot_count, runner.Counters());
  console.Close();
  service.BeginShutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  ::unlink(absl::StrCat(vm_dir, "/", kPidFile).c_str());
  ::unlink(socket_path.c_str());
  return code;
}

}  // namespace vmm::worker
