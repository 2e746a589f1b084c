#ifndef VMM_WORKER_FILES_H_
#define VMM_WORKER_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vmm {

// Replaces `path` so that a crash at any point leaves either the old or the
// new content, never a mix: write a temp file in the same directory, fsync
// it, rename it over `path`, fsync the directory (rename(2) durability needs
// the directory entry flushed too).
absl::Status AtomicWriteFile(const std::string& path, absl::string_view content);

// Reads a whole file; refuses files larger than `max_bytes`.
absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes = 1 << 20);

// fsync(2) of a directory, after entries in it were created or removed.
absl::Status SyncDir(const std::string& dir);

}  // namespace vmm

#endif  // VMM_WORKER_FILES_H_
