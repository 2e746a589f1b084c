#ifndef VMM_WORKER_SCOPED_TEMP_DIR_H_
#define VMM_WORKER_SCOPED_TEMP_DIR_H_

// For tests: a fresh directory under /tmp, removed with its contents on
// destruction. /tmp rather than $TEST_TMPDIR because unix socket paths
// inside it must stay under 108 bytes.

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include <string>

namespace vmm {

class ScopedTempDir {
 public:
  explicit ScopedTempDir(const std::string& prefix = "vmm_test") {
    std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~ScopedTempDir() {
    if (path_.empty()) return;
    nftw(
        path_.c_str(),
        [](const char* p, const struct stat*, int, struct FTW*) { return remove(p); }, 16,
        FTW_DEPTH | FTW_PHYS);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace vmm

#endif  // VMM_WORKER_SCOPED_TEMP_DIR_H_
