#include "vmm/worker/files.h"

#include <dirent.h>
#include <stdlib.h>

#include "gtest/gtest.h"

namespace vmm {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/files_test.XXXXXX";
  return mkdtemp(tmpl);
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
