#include "vmm/manager/worker_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "vmm/base/errno_status.h"

extern char** environ;

namespace vmm::manager {
namespace {

// Owns a posix_spawn_file_actions_t / posix_spawnattr_t.
struct SpawnActions {
  posix_spawn_file_actions_t actions;
  SpawnActions() { posix_spawn_file_actions_init(&actions); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions); }
};
struct SpawnAttr {
  posix_spawnattr_t attr;
  SpawnAttr() { posix_spawnattr_init(&attr); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
};

}  // namespace

absl::StatusOr<Fd> OpenPidfd(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return ErrnoStatus(absl::StrCat("pidfd_open(", pid, ")"));
  return Fd(fd);
}

absl::StatusOr<SpawnedProcess> SpawnDetached(const std::vector<std::string>& argv,
                                             const std::string& log_path) {
  if (argv.empty()) return absl::InvalidArgumentError("spawn: empty argv");
  SpawnActions fa;
  SpawnAttr sa;
  int err = posix_spawn_file_actions_addopen(&fa.actions, 0, "/dev/null", O_RDONLY, 0);
  if (err == 0) {
    err = posix_spawn_file_actions_addopen(&fa.actions, 1, log_path.c_str(),
                                           O_WRONLY | O_CREAT | O_APPEND, 0600);
  }
  if (err == 0) err = posix_spawn_file_actions_adddup2(&fa.actions, 1, 2);
  // The daemon's sockets and files stay in the daemon even if some library
  // forgot O_CLOEXEC.
  if (err == 0) err = posix_spawn_file_actions_addclosefrom_np(&fa.actions, 3);
  // A fresh session: the worker must outlive a daemon restart or crash.
  // Signals are reset to defaults and unblocked: the daemon blocks SIGTERM
  // for its own sigwait loop.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  if (err == 0) err = posix_spawnattr_setsigmask(&sa.attr, &none);
  if (err == 0) err = posix_spawnattr_setsigdefault(&sa.attr, &all);
  if (err == 0) {
    err = posix_spawnattr_setflags(
        &sa.attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  if (err != 0) return ErrnoStatus(err, "posix_spawn setup");

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  err = posix_spawn(&pid, argv[0].c_str(), &fa.actions, &sa.attr, args.data(), environ);
  if (err != 0) return ErrnoStatus(err, absl::StrCat("spawn ", argv[0]));
  SpawnedProcess out;
  out.pid = pid;
  absl::StatusOr<Fd> pidfd = OpenPidfd(pid);
  if (!pidfd.ok()) {
    // Cannot supervise it: do not leave it behind.
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return pidfd.status();
  }
  out.pidfd = std::move(pidfd).value();
  return out;
}

bool WaitForExit(int pidfd, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    pollfd p{pidfd, POLLIN, 0};
    int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms < 0) ms = 0;
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(ms, 1 << 30)));
    if (n > 0) return true;  // POLLIN: the process has ended.
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (absl::Now() >= deadline) return false;
  }
}

absl::Status SignalProcess(int pidfd, int sig) {
  if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) != 0) {
    if (errno == ESRCH) return absl::OkStatus();  // Already gone.
    return ErrnoStatus(absl::StrCat("pidfd_send_signal(", sig, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ChildExit> ReapChild(pid_t pid) {
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ErrnoStatus(absl::StrCat("waitpid(", pid, ")"));
  ChildExit out;
  if (WIFEXITED(status)) {
    out.exit_code = WEXITSTATUS(status);
    out.description = absl::StrCat("exited with status ", out.exit_code);
  } else if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
    out.description = absl::StrCat("killed by signal ", out.signal);
  } else {
    out.description = absl::StrCat("ended with wait status ", status);
  }
  return out;
}

}  // namespace vmm::manager
