#include "vmm/manager/final_status.h"

#include "gtest/gtest.h"

namespace vmm::manager {
namespace {

absl::StatusOr<worker::WorkerExit> Exit(worker::WorkerExit::Kind kind, int pid,
                                        std::string message = "") {
  worker::WorkerExit e;
  e.kind = kind;
  e.pid = pid;
  e.message = std::move(message);
  return e;
}

using K = worker::WorkerExit::Kind;

TEST(DecideFinalStatus, GuestPowerOffWithAndWithoutARequest) {
  FinalStatus f = DecideFinalStatus(Exit(K::kPowerOff, 7), 7, false, false, false, "");
  EXPECT_EQ(f.state, v1::SHUTOFF);
  EXPECT_EQ(f.reason, v1::GUEST_SHUTDOWN);
  f = DecideFinalStatus(Exit(K::kPowerOff, 7), 7, true, false, false, "");
  EXPECT_EQ(f.reason, v1::USER_STOPPED);
}

TEST(DecideFinalStatus, StoppedIsForcedOnlyWhenAsked) {
  FinalStatus f = DecideFinalStatus(Exit(K::kStopped, 7), 7, true, true, false, "");
  EXPECT_EQ(f.state, v1::SHUTOFF);
  EXPECT_EQ(f.reason, v1::FORCED_STOP);
  f = DecideFinalStatus(Exit(K::kStopped, 7), 7, false, false, false, "");
  EXPECT_EQ(f.state, v1::CRASHED);
  EXPECT_EQ(f.reason, v1::WORKER_DIED);
}

TEST(DecideFinalStatus, CrashesCarryTheWorkersMessage) {
  FinalStatus f =
      DecideFinalStatus(Exit(K::kGuestCrash, 7, "triple fault"), 7, false, false, false, "");
  EXPECT_EQ(f.reason, v1::GUEST_CRASHED);
  EXPECT_EQ(f.message, "triple fault");
  f = DecideFinalStatus(Exit(K::kStartFailed, 7, "payload /x: No such file"), 7, false, false,
                        false, "");
  EXPECT_EQ(f.reason, v1::START_FAILED);
  EXPECT_EQ(f.message, "payload /x: No such file");
}

TEST(DecideFinalStatus, NoRecordOrAnOldOneMeansTheWorkerDied) {
  FinalStatus f = DecideFinalStatus(absl::NotFoundError("no exit record"), 7, false, false, false,
                                    "killed by signal 9");
  EXPECT_EQ(f.state, v1::CRASHED);
  EXPECT_EQ(f.reason, v1::WORKER_DIED);
  EXPECT_EQ(f.message, "worker killed by signal 9");
  // A record left by an earlier worker (another pid) does not count.
  f = DecideFinalStatus(Exit(K::kPowerOff, 6), 7, false, false, false, "killed by signal 9");
  EXPECT_EQ(f.reason, v1::WORKER_DIED);
  // Killed by the daemon itself after a stop deadline: forced, not a crash.
  f = DecideFinalStatus(absl::NotFoundError(""), 7, true, true, false, "killed by signal 9");
  EXPECT_EQ(f.state, v1::SHUTOFF);
  EXPECT_EQ(f.reason, v1::FORCED_STOP);
}

TEST(DecideFinalStatus, StartTimeoutWins) {
  FinalStatus f = DecideFinalStatus(absl::NotFoundError(""), 7, false, false, true, "");
  EXPECT_EQ(f.state, v1::CRASHED);
  EXPECT_EQ(f.reason, v1::START_FAILED);
}

}  // namespace
}  // namespace vmm::manager
