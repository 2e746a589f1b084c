#include "vmm/manager/vm_store.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "vmm/worker/files.h"
#include "vmm/worker/layout.h"
#include "vmm/worker/scoped_temp_dir.h"

namespace vmm::manager {
namespace {

// Removed at exit with everything in it.
std::string TempDir() {
  static auto* dirs = new std::vector<std::unique_ptr<ScopedTempDir>>;
  static const int cleanup = atexit([] { delete dirs; });
  (void)cleanup;
  dirs->push_back(std::make_unique<ScopedTempDir>("vm_store_test"));
  return dirs->back()->path();
}

v1::Vm MakeVm(const std::string& id, const std::string& name) {
  v1::Vm vm;
  vm.set_id(id);
  vm.mutable_spec()->set_name(name);
  vm.mutable_spec()->set_vcpus(1);
  vm.mutable_status()->set_state(v1::CREATED);
  return vm;
}

TEST(VmStore, CreateSaveLoadDelete) {
  std::string root = TempDir() + "/state";
  VmStore store(root);
  ASSERT_TRUE(store.Init().ok());
  ASSERT_TRUE(store.Create(MakeVm("a1", "web1")).ok());
  ASSERT_TRUE(store.Create(MakeVm("b2", "web2")).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(store.Create(MakeVm("a1", "x"))));
  EXPECT_EQ(access((store.VmDir("a1") + "/" + worker::kSpecFile).c_str(), R_OK), 0);

  v1::Vm changed = MakeVm("a1", "web1");
  changed.mutable_status()->set_state(v1::RUNNING);
  ASSERT_TRUE(store.Save(changed).ok());

  VmStore::Loaded loaded = VmStore(root).LoadAll();
  EXPECT_TRUE(loaded.errors.empty());
  ASSERT_EQ(loaded.vms.size(), 2u);
  EXPECT_EQ(loaded.vms[0].id(), "a1");
  EXPECT_EQ(loaded.vms[0].status().state(), v1::RUNNING);
  EXPECT_EQ(loaded.vms[1].spec().name(), "web2");

  ASSERT_TRUE(store.Delete("a1").ok());
  EXPECT_NE(access(store.VmDir("a1").c_str(), F_OK), 0);
  EXPECT_EQ(VmStore(root).LoadAll().vms.size(), 1u);
}

TEST(VmStore, InitRemovesInterruptedCreatesAndReportsBrokenDirs) {
  std::string root = TempDir();
  VmStore store(root);
  ASSERT_TRUE(store.Init().ok());
  ASSERT_EQ(mkdir((root + "/vms/.creating-zz").c_str(), 0700), 0);
  ASSERT_EQ(mkdir((root + "/vms/broken").c_str(), 0700), 0);
  ASSERT_TRUE(AtomicWriteFile(root + "/vms/broken/vm.txtpb", "garbage {").ok());
  ASSERT_TRUE(store.Init().ok());
  EXPECT_NE(access((root + "/vms/.creating-zz").c_str(), F_OK), 0);
  VmStore::Loaded loaded = store.LoadAll();
  EXPECT_TRUE(loaded.vms.empty());
  ASSERT_EQ(loaded.errors.size(), 1u);
}

TEST(VmStore, OneStorePerDirectory) {
  std::string root = TempDir();
  auto first = std::make_unique<VmStore>(root);
  ASSERT_TRUE(first->Init().ok());
  VmStore second(root);
  absl::Status s = second.Init();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  first.reset();  // Released with its descriptor.
  EXPECT_TRUE(VmStore(root).Init().ok());
}

TEST(VmStore, CreateInUnwritableRootLeavesNothing) {
  VmStore store("/nonexistent-root-xyz");
  EXPECT_FALSE(store.Create(MakeVm("a", "b")).ok());
}

}  // namespace
}  // namespace vmm::manager
