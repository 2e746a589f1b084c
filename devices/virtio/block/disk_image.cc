#include "devices/virtio/block/disk_image.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_format.h"
#include "vmm/base/errno_status.h"

namespace vmm {
namespace virtio {

absl::StatusOr<CacheMode> ParseCacheMode(absl::string_view name) {
  if (name == "writeback" || name.empty()) return CacheMode::kWriteback;
  if (name == "none") return CacheMode::kNone;
  if (name == "unsafe") return CacheMode::kUnsafe;
  return absl::InvalidArgumentError(
      absl::StrFormat("cache mode \"%s\": must be one of writeback, none, unsafe", name));
}

absl::string_view CacheModeName(CacheMode mode) {
  switch (mode) {
    case CacheMode::kWriteback:
      return "writeback";
    case CacheMode::kNone:
      return "none";
    case CacheMode::kUnsafe:
      return "unsafe";
  }
  return "?";
}

absl::StatusOr<DiskImage> DiskImage::Open(const std::string& path, bool read_only,
                                          CacheMode cache_mode) {
  int flags = (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
  if (cache_mode == CacheMode::kNone) flags |= O_DIRECT;
  Fd fd(::open(path.c_str(), flags));
  if (!fd) return ErrnoStatus(absl::StrFormat("disk image %s: open", path));

  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    return ErrnoStatus(absl::StrFormat("disk image %s: fstat", path));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("disk image %s: not a regular file (raw images only)", path));
  }

  struct flock lk = {};
  lk.l_type = read_only ? F_RDLCK : F_WRLCK;
  lk.l_whence = SEEK_SET;
  lk.l_start = 0;
  lk.l_len = 0;  // Whole file.
  if (::fcntl(fd.get(), F_OFD_SETLK, &lk) != 0) {
    if (errno == EAGAIN || errno == EACCES) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "disk image %s is locked by another user (%s open refused: a writable image is "
          "never shared)",
          path, read_only ? "read-only" : "writable"));
    }
    return ErrnoStatus(absl::StrFormat("disk image %s: lock", path));
  }
  return DiskImage(std::move(fd), path, static_cast<uint64_t>(st.st_size), read_only, cache_mode);
}

}  // namespace virtio
}  // namespace vmm
