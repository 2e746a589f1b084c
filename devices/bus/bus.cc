#include "devices/bus/bus.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "vmm/base/log.h"

namespace vmm {
namespace {
// Bounds the memory a guest can make us spend on "already logged" entries.
constexpr size_t kMaxLoggedAddresses = 64;
}  // namespace

absl::Status Bus::Register(uint64_t base, uint64_t len, std::shared_ptr<BusDevice> device) {
  if (device == nullptr) return absl::InvalidArgumentError("bus register: null device");
  if (len == 0 || base + len - 1 < base) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s bus: device %s range base=0x%x len=0x%x is empty or wraps", name_,
                        device->name(), base, len));
  }
  absl::MutexLock lock(&mu_);
  // The first range starting after `base` and the one before it are the only
  // candidates for overlap.
  auto next = ranges_.upper_bound(base);
  if (next != ranges_.end() && next->first <= base + len - 1) {
    return absl::AlreadyExistsError(
        absl::StrFormat("%s bus: device %s range [0x%x, 0x%x] overlaps %s at [0x%x, 0x%x]", name_,
                        device->name(), base, base + len - 1, next->second.device->name(),
                        next->first, next->first + next->second.len - 1));
  }
  if (next != ranges_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + (prev->second.len - 1) >= base) {
      return absl::AlreadyExistsError(
          absl::StrFormat("%s bus: device %s range [0x%x, 0x%x] overlaps %s at [0x%x, 0x%x]", name_,
                          device->name(), base, base + len - 1, prev->second.device->name(),
                          prev->first, prev->first + prev->second.len - 1));
    }
  }
  ranges_.emplace(base, Range{len, std::move(device)});
  return absl::OkStatus();
}

BusDevice* Bus::Find(uint64_t addr, uint64_t size, uint64_t* offset) const {
  auto it = ranges_.upper_bound(addr);
  if (it == ranges_.begin()) return nullptr;
  --it;
  uint64_t off = addr - it->first;
  if (off >= it->second.len || size > it->second.len - off) return nullptr;
  *offset = off;
  return it->second.device.get();
}

void Bus::LogUnclaimed(absl::string_view kind, uint64_t addr, size_t size) {
  {
    absl::MutexLock lock(&log_mu_);
    if (logged_.size() >= kMaxLoggedAddresses || !logged_.insert(addr).second) return;
  }
  Log(LogLevel::kWarning, "bus", "unclaimed_access",
      {{"bus", name_},
       {"kind", std::string(kind)},
       {"addr", absl::StrFormat("0x%x", addr)},
       {"size", absl::StrFormat("%d", size)}});
}

bool Bus::Read(uint64_t addr, absl::Span<uint8_t> data) {
  std::fill(data.begin(), data.end(), 0xff);
  BusDevice* device;
  uint64_t offset = 0;
  {
    absl::ReaderMutexLock lock(&mu_);
    device = Find(addr, data.size(), &offset);
  }
  // Devices are never unregistered, so the pointer stays valid without the
  // lock, and device callbacks never run under the bus lock.
  if (device == nullptr) {
    LogUnclaimed("read", addr, data.size());
    return false;
  }
  device->Read(offset, data);
  return true;
}

bool Bus::Write(uint64_t addr, absl::Span<const uint8_t> data) {
  BusDevice* device;
  uint64_t offset = 0;
  {
    absl::ReaderMutexLock lock(&mu_);
    device = Find(addr, data.size(), &offset);
  }
  if (device == nullptr) {
    LogUnclaimed("write", addr, data.size());
    return false;
  }
  device->Write(offset, data);
  return true;
}

}  // namespace vmm
