#ifndef TESTS_E2E_E2E_TEST_BASE_H_
#define TESTS_E2E_E2E_TEST_BASE_H_

#include <signal.h>

#include "gtest/gtest.h"
#include "tests/e2e/daemon_fixture.h"

namespace vmm::e2e {

// A fresh vmmd per test; every worker is gone after the test.
class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    daemon_ = std::make_unique<Daemon>(dir_);
    absl::Status s = daemon_->Start();
    ASSERT_TRUE(s.ok()) << s;
  }
  void TearDown() override {
    if (HasFailure() && daemon_ != nullptr) {
      std::cerr << "---- vmmd log ----\n" << daemon_->Log() << "------------------\n";
    }
    if (daemon_ != nullptr) daemon_->Stop(SIGTERM);
    KillWorkers(dir_ + "/state");
    // Kept for inspection when the test failed.
    if (!HasFailure()) RemoveTree(dir_);
  }
  v1::VmService::Stub* stub() { return daemon_->stub(); }

  std::string dir_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace vmm::e2e

#endif  // TESTS_E2E_E2E_TEST_BASE_H_
