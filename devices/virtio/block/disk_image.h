#ifndef DEVICES_VIRTIO_BLOCK_DISK_IMAGE_H_
#define DEVICES_VIRTIO_BLOCK_DISK_IMAGE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vmm/base/fd.h"

namespace vmm {
namespace virtio {

// How the host page cache is used (the usual hypervisor cache modes).
enum class CacheMode {
  kWriteback,  // page cache; FLUSH -> fdatasync
  kNone,       // O_DIRECT; FLUSH -> fdatasync (for metadata and the disk cache)
  kUnsafe,     // page cache; FLUSH completes at once (data may be lost on crash)
};

absl::StatusOr<CacheMode> ParseCacheMode(absl::string_view name);
absl::string_view CacheModeName(CacheMode mode);

// A raw image file opened for a virtio-blk device, with an advisory lock so
// that two VMs never share a writable image: writable opens take an
// exclusive OFD lock, read-only opens a shared one (OFD locks belong to the
// open file description, so a second open in the same process conflicts
// too). Move-only; the lock goes with the fd.
class DiskImage {
 public:
  static absl::StatusOr<DiskImage> Open(const std::string& path, bool read_only,
                                        CacheMode cache_mode);

  int fd() const { return fd_.get(); }
  uint64_t size_bytes() const { return size_bytes_; }
  uint64_t sectors() const { return size_bytes_ / 512; }
  bool read_only() const { return read_only_; }
  CacheMode cache_mode() const { return cache_mode_; }
  const std::string& path() const { return path_; }

 private:
  DiskImage(Fd fd, std::string path, uint64_t size, bool ro, CacheMode mode)
      : fd_(std::move(fd)),
        path_(std::move(path)),
        size_bytes_(size),
        read_only_(ro),
        cache_mode_(mode) {}

  Fd fd_;
  std::string path_;
  uint64_t size_bytes_;
  bool read_only_;
  CacheMode cache_mode_;
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_BLOCK_DISK_IMAGE_H_
