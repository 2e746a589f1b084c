#include <fcntl.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/fd.h"
#include "vmm/base/log.h"
#include "vmm/base/status_macros.h"

namespace vmm {
namespace {

TEST(Fd, ClosesOnDestructionAndMoves) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    Fd a(raw);
    Fd b(std::move(a));
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), raw);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(ErrnoStatus, MapsCodes) {
  EXPECT_TRUE(absl::IsNotFound(ErrnoStatus(ENOENT, "open /x")));
  EXPECT_EQ(ErrnoStatus(ENOENT, "open /x").message(),
            "open /x: No such file or directory");
  EXPECT_TRUE(absl::IsPermissionDenied(ErrnoStatus(EACCES, "y")));
}

absl::StatusOr<int> Half(int x) {
  if (x % 2) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::Status UseMacros(int x, int* out) {
  ASSIGN_OR_RETURN(int h, Half(x));
  RETURN_IF_ERROR(h > 10 ? absl::OutOfRangeError("big") : absl::OkStatus());
  *out = h;
  return absl::OkStatus();
}

TEST(StatusMacros, PropagateErrors) {
  int out = 0;
  EXPECT_TRUE(UseMacros(8, &out).ok());
  EXPECT_EQ(out, 4);
  EXPECT_TRUE(absl::IsInvalidArgument(UseMacros(3, &out)));
  EXPECT_TRUE(absl::IsOutOfRange(UseMacros(40, &out)));
}

TEST(Log, FormatsLogfmtAndQuotes) {
  std::string line = FormatLogLine(LogLevel::kWarning, "manager", "vm_crashed",
                                   {{"vm", "web1"}, {"reason", "killed by \"signal\" 9"}});
  EXPECT_NE(line.find(" level=warning component=manager event=vm_crashed vm=web1 "
                      "reason=\"killed by \\\"signal\\\" 9\"\n"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.rfind("ts=", 0), 0u);
}

}  // namespace
}  // namespace vmm
