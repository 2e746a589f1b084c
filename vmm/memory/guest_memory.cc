#include "vmm/memory/guest_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "vmm/base/errno_status.h"

namespace vmm {

absl::StatusOr<Mapping> Mapping::Anonymous(uint64_t size) {
  if (size == 0) return absl::InvalidArgumentError("mapping size=0: must be > 0");
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return ErrnoStatus(absl::StrFormat("mmap of %d bytes of guest RAM", size));
  }
  return Mapping(static_cast<uint8_t*>(p), size);
}

Mapping::~Mapping() { Reset(); }

Mapping::Mapping(Mapping&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this != &other) {
    Reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void Mapping::Reset() {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

absl::StatusOr<std::unique_ptr<GuestMemory>> GuestMemory::Create(
    const std::vector<RegionSpec>& specs) {
  if (specs.empty()) return absl::InvalidArgumentError("guest memory: no regions");
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  std::vector<RegionSpec> sorted = specs;
  std::sort(sorted.begin(), sorted.end(),
            [](const RegionSpec& a, const RegionSpec& b) { return a.start < b.start; });
  for (size_t i = 0; i < sorted.size(); ++i) {
    const RegionSpec& r = sorted[i];
    if (r.size == 0 || r.size % page != 0 || r.start.value() % page != 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "guest memory region start=0x%x size=0x%x: start and size must be non-zero "
          "multiples of the page size 0x%x",
          r.start.value(), r.size, page));
    }
    if (!r.start.CheckedAdd(r.size).has_value()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "guest memory region start=0x%x size=0x%x wraps past 2^64", r.start.value(), r.size));
    }
    if (i > 0 && sorted[i - 1].start.value() + sorted[i - 1].size > r.start.value()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("guest memory regions overlap: start=0x%x size=0x%x and start=0x%x",
                          sorted[i - 1].start.value(), sorted[i - 1].size, r.start.value()));
    }
  }
  std::vector<Region> regions;
  for (const RegionSpec& r : sorted) {
    absl::StatusOr<Mapping> mapping = Mapping::Anonymous(r.size);
    if (!mapping.ok()) return mapping.status();
    regions.push_back(Region{r.start, std::move(*mapping)});
  }
  return std::unique_ptr<GuestMemory>(new GuestMemory(std::move(regions)));
}

absl::StatusOr<uint8_t*> GuestMemory::Translate(GuestAddress addr, uint64_t len) const {
  // Last region whose start <= addr.
  auto it = std::upper_bound(regions_.begin(), regions_.end(), addr,
                             [](GuestAddress a, const Region& r) { return a < r.start; });
  if (it != regions_.begin()) {
    const Region& r = *(it - 1);
    uint64_t offset = addr.value() - r.start.value();
    // Written so that nothing can overflow: offset < size is checked first.
    if (offset < r.mapping.size() && len <= r.mapping.size() - offset) {
      return r.mapping.data() + offset;
    }
  }
  return absl::OutOfRangeError(absl::StrFormat(
      "guest memory access addr=0x%x len=%d is outside guest RAM", addr.value(), len));
}

absl::StatusOr<struct iovec> GuestMemory::HostIovecForIo(GuestAddress addr, uint64_t len) const {
  absl::StatusOr<uint8_t*> host = Translate(addr, len);
  if (!host.ok()) return host.status();
  struct iovec iov;
  iov.iov_base = *host;
  iov.iov_len = static_cast<size_t>(len);
  return iov;
}

absl::StatusOr<uint16_t> GuestMemory::LoadAtomic16(GuestAddress addr) const {
  if (addr.value() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("atomic 16-bit load at addr=0x%x: not 2-byte aligned", addr.value()));
  }
  absl::StatusOr<uint8_t*> host = Translate(addr, 2);
  if (!host.ok()) return host.status();
  return __atomic_load_n(reinterpret_cast<const uint16_t*>(*host), __ATOMIC_ACQUIRE);
}

absl::Status GuestMemory::StoreAtomic16(GuestAddress addr, uint16_t value) {
  if (addr.value() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("atomic 16-bit store at addr=0x%x: not 2-byte aligned", addr.value()));
  }
  absl::StatusOr<uint8_t*> host = Translate(addr, 2);
  if (!host.ok()) return host.status();
  __atomic_store_n(reinterpret_cast<uint16_t*>(*host), value, __ATOMIC_RELEASE);
  return absl::OkStatus();
}

bool GuestMemory::IsValidRange(GuestAddress addr, uint64_t len) const {
  return Translate(addr, len).ok();
}

absl::Status GuestMemory::Read(GuestAddress addr, absl::Span<uint8_t> out) const {
  absl::StatusOr<uint8_t*> host = Translate(addr, out.size());
  if (!host.ok()) return host.status();
  if (!out.empty()) std::memcpy(out.data(), *host, out.size());
  return absl::OkStatus();
}

absl::Status GuestMemory::Write(GuestAddress addr, absl::Span<const uint8_t> data) {
  absl::StatusOr<uint8_t*> host = Translate(addr, data.size());
  if (!host.ok()) return host.status();
  if (!data.empty()) std::memcpy(*host, data.data(), data.size());
  return absl::OkStatus();
}

uint64_t GuestMemory::total_size() const {
  uint64_t total = 0;
  for (const Region& r : regions_) total += r.mapping.size();
  return total;
}

std::vector<HostRegion> GuestMemory::HostRegionsForAccelerator() const {
  std::vector<HostRegion> out;
  for (const Region& r : regions_) {
    out.push_back(HostRegion{r.start, r.mapping.size(), r.mapping.data()});
  }
  return out;
}

}  // namespace vmm
