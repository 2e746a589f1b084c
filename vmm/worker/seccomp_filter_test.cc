#include "vmm/worker/seccomp_filter.h"

#include <errno.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace vmm::worker {
namespace {

// Runs `body` in a forked child (the filter cannot be removed) and returns
// its exit code.
template <typename Body>
int InChild(Body body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(WorkerSeccompFilter, DeniesExecAndNamespacesAllowsTheRest) {
  int code = InChild([] {
    if (!InstallWorkerSeccompFilter().ok()) return 1;
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    if (execv("/bin/true", argv) != -1 || errno != EPERM) return 2;
    if (unshare(CLONE_NEWNS) != -1 || errno != EPERM) return 3;
    // What a worker does all day still works.
    if (getpid() <= 0) return 4;
    int fds[2];
    if (pipe(fds) != 0 || write(fds[1], "x", 1) != 1) return 5;
    return 0;
  });
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace vmm::worker
