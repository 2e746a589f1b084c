#include "vmm/machine/disks.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vmm {

absl::StatusOr<std::vector<std::shared_ptr<virtio::BlockDevice>>> OpenDisks(
    const std::vector<DiskConfig>& disks) {
  std::vector<std::shared_ptr<virtio::BlockDevice>> out;
  for (size_t i = 0; i < disks.size(); ++i) {
    const DiskConfig& d = disks[i];
    virtio::BlockDeviceOptions o;
    o.path = d.path;
    o.read_only = d.read_only;
    o.serial = d.serial;
    switch (d.cache) {
      case DiskCache::kWriteback:
        o.cache_mode = virtio::CacheMode::kWriteback;
        break;
      case DiskCache::kNone:
        o.cache_mode = virtio::CacheMode::kNone;
        break;
      case DiskCache::kUnsafe:
        o.cache_mode = virtio::CacheMode::kUnsafe;
        break;
    }
    if (d.num_queues == 0 || d.num_queues > 64) {
      return absl::InvalidArgumentError(
          absl::StrFormat("disks[%d].num_queues=%d: must be 1..64", i, d.num_queues));
    }
    o.num_queues = static_cast<uint16_t>(d.num_queues);
    absl::StatusOr<std::unique_ptr<virtio::BlockDevice>> dev = virtio::BlockDevice::Create(o);
    if (!dev.ok()) {
      return absl::Status(dev.status().code(),
                          absl::StrCat("disks[", i, "]: ", dev.status().message()));
    }
    out.push_back(std::move(*dev));
  }
  return out;
}

DiskCounterValues ToDiskCounterValues(const virtio::BlockCountersSnapshot& s) {
  DiskCounterValues v;
  v.read_requests = s.read_requests;
  v.write_requests = s.write_requests;
  v.read_bytes = s.read_bytes;
  v.write_bytes = s.write_bytes;
  v.flushes = s.flushes;
  v.errors = s.errors;
  return v;
}

}  // namespace vmm
