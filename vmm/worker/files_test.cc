#include "vmm/worker/files.h"

#include <dirent.h>
#include <stdlib.h>

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "vmm/worker/scoped_temp_dir.h"

namespace vmm {
namespace {

// Removed at exit with everything in it.
std::string TempDir() {
  static auto* dirs = new std::vector<std::unique_ptr<ScopedTempDir>>;
  static const int cleanup = atexit([] { delete dirs; });
  (void)cleanup;
  dirs->push_back(std::make_unique<ScopedTempDir>("files_test"));
  return dirs->back()->path();
}

int CountEntries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

TEST(AtomicWriteFile, ReplacesContentAndLeavesNoTempFile) {
  std::string dir = TempDir();
  std::string path = dir + "/f";
  ASSERT_TRUE(AtomicWriteFile(path, "one").ok());
  ASSERT_TRUE(AtomicWriteFile(path, "two").ok());
  absl::StatusOr<std::string> got = ReadFileToString(path);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "two");
  EXPECT_EQ(CountEntries(dir), 1);
}

TEST(AtomicWriteFile, MissingDirectoryIsNotFound) {
  absl::Status s = AtomicWriteFile("/nonexistent-dir-xyz/f", "x");
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
}

TEST(ReadFileToString, EnforcesTheLimit) {
  std::string dir = TempDir();
  ASSERT_TRUE(AtomicWriteFile(dir + "/big", std::string(100, 'x')).ok());
  EXPECT_TRUE(absl::IsOutOfRange(ReadFileToString(dir + "/big", 10).status()));
  EXPECT_TRUE(absl::IsNotFound(ReadFileToString(dir + "/none").status()));
}

}  // namespace
}  // namespace vmm
