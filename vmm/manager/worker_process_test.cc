#include "vmm/manager/worker_process.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "vmm/worker/files.h"
#include "vmm/worker/scoped_temp_dir.h"

namespace vmm::manager {
namespace {

// Removed at exit with everything in it.
std::string TempDir() {
  static auto* dirs = new std::vector<std::unique_ptr<ScopedTempDir>>;
  static const int cleanup = atexit([] { delete dirs; });
  (void)cleanup;
  dirs->push_back(std::make_unique<ScopedTempDir>("worker_process_test"));
  return dirs->back()->path();
}

TEST(SpawnDetached, NewSessionLogAndExitCode) {
  std::string dir = TempDir();
  std::string log = dir + "/log";
  absl::StatusOr<SpawnedProcess> p = SpawnDetached(
      {"/bin/sh", "-c", "echo out; echo err >&2; test $(ps -o sid= -p $$) -eq $$ && exit 7"}, log);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(WaitForExit(p->pidfd.get(), absl::Seconds(20)));
  absl::StatusOr<ChildExit> exit = ReapChild(p->pid);
  ASSERT_TRUE(exit.ok()) << exit.status();
  // Exit code 7 proves it led its own session.
  EXPECT_EQ(exit->exit_code, 7);
  EXPECT_EQ(exit->description, "exited with status 7");
  absl::StatusOr<std::string> text = ReadFileToString(log);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "out\nerr\n");
}

TEST(SpawnDetached, KillIsDescribed) {
  std::string dir = TempDir();
  absl::StatusOr<SpawnedProcess> p = SpawnDetached({"/bin/sleep", "100"}, dir + "/log");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(WaitForExit(p->pidfd.get(), absl::Milliseconds(50)));
  ASSERT_TRUE(SignalProcess(p->pidfd.get(), SIGKILL).ok());
  EXPECT_TRUE(WaitForExit(p->pidfd.get(), absl::Seconds(20)));
  absl::StatusOr<ChildExit> exit = ReapChild(p->pid);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->signal, 9);
  EXPECT_EQ(exit->description, "killed by signal 9");
  // Signalling a reaped process through its pidfd is harmless.
  EXPECT_TRUE(SignalProcess(p->pidfd.get(), SIGKILL).ok());
}

TEST(SpawnDetached, MissingBinaryFails) {
  std::string dir = TempDir();
  absl::StatusOr<SpawnedProcess> p = SpawnDetached({"/nonexistent/worker"}, dir + "/log");
  EXPECT_TRUE(absl::IsNotFound(p.status())) << p.status();
}

TEST(OpenPidfd, UnknownPid) {
  // pid_max is at most 2^22.
  EXPECT_FALSE(OpenPidfd(1 << 23).ok());
  EXPECT_TRUE(OpenPidfd(getpid()).ok());
}

}  // namespace
}  // namespace vmm::manager
