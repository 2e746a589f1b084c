#include "vmm/manager/vm_state.h"

#include "gtest/gtest.h"

namespace vmm::manager {
namespace {

TEST(CheckAction, MessagesSayWhatToDo) {
  absl::Status s = CheckAction(VmAction::kPause, v1::SHUTOFF, "web1");
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_EQ(s.message(), "vm web1 is SHUTOFF; StartVm it first");
  EXPECT_EQ(CheckAction(VmAction::kDelete, v1::RUNNING, "web1").message(),
            "vm web1 is RUNNING; StopVm it first");
  EXPECT_EQ(CheckAction(VmAction::kReboot, v1::PAUSED, "a").message(),
            "vm a is PAUSED; ResumeVm it first");
}

TEST(CheckAction, Table) {
  struct Row {
    VmAction action;
    v1::State state;
    bool ok;
  } rows[] = {
      {VmAction::kStart, v1::CREATED, true},   {VmAction::kStart, v1::SHUTOFF, true},
      {VmAction::kStart, v1::CRASHED, true},   {VmAction::kStart, v1::RUNNING, false},
      {VmAction::kStart, v1::PAUSED, false},   {VmAction::kPause, v1::RUNNING, true},
      {VmAction::kPause, v1::PAUSED, false},   {VmAction::kResume, v1::PAUSED, true},
      {VmAction::kResume, v1::RUNNING, false}, {VmAction::kStop, v1::RUNNING, true},
      {VmAction::kStop, v1::PAUSED, true},     {VmAction::kStop, v1::SHUTOFF, false},
      {VmAction::kStop, v1::CREATED, false},   {VmAction::kReboot, v1::RUNNING, true},
      {VmAction::kReboot, v1::CRASHED, false}, {VmAction::kDelete, v1::CREATED, true},
      {VmAction::kDelete, v1::CRASHED, true},  {VmAction::kDelete, v1::PAUSED, false},
      {VmAction::kConsole, v1::PAUSED, true},  {VmAction::kConsole, v1::SHUTOFF, false},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(CheckAction(r.action, r.state, "v").ok(), r.ok)
        << static_cast<int>(r.action) << " in " << v1::State_Name(r.state);
  }
}

TEST(IsLegalTransition, FollowsTheStateMachine) {
  EXPECT_TRUE(IsLegalTransition(v1::CREATED, v1::RUNNING));
  EXPECT_TRUE(IsLegalTransition(v1::RUNNING, v1::PAUSED));
  EXPECT_TRUE(IsLegalTransition(v1::PAUSED, v1::SHUTOFF));
  EXPECT_TRUE(IsLegalTransition(v1::CRASHED, v1::RUNNING));
  EXPECT_FALSE(IsLegalTransition(v1::CREATED, v1::SHUTOFF));
  EXPECT_FALSE(IsLegalTransition(v1::SHUTOFF, v1::CREATED));
  EXPECT_FALSE(IsLegalTransition(v1::STATE_UNSPECIFIED, v1::RUNNING));
}

}  // namespace
}  // namespace vmm::manager
