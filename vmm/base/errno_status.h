#ifndef VMM_BASE_ERRNO_STATUS_H_
#define VMM_BASE_ERRNO_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vmm {

// A status for a failed system call: "<what>: <strerror(err)>", with a code
// chosen from the errno (ENOENT -> NotFound, EACCES -> PermissionDenied...).
absl::Status ErrnoStatus(int err, absl::string_view what);

// Same, with the current errno.
absl::Status ErrnoStatus(absl::string_view what);

}  // namespace vmm

#endif  // VMM_BASE_ERRNO_STATUS_H_
