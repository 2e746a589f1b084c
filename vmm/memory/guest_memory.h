#ifndef VMM_MEMORY_GUEST_MEMORY_H_
#define VMM_MEMORY_GUEST_MEMORY_H_

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "vmm/memory/guest_address.h"

namespace vmm {

// An anonymous private mapping, unmapped on destruction. Move-only.
class Mapping {
 public:
  // Maps `size` bytes of zeroed anonymous memory (MAP_NORESERVE: guest RAM is
  // committed lazily, as the guest touches it).
  static absl::StatusOr<Mapping> Anonymous(uint64_t size);

  Mapping() = default;
  ~Mapping();
  Mapping(Mapping&& other) noexcept;
  Mapping& operator=(Mapping&& other) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  Mapping(uint8_t* data, uint64_t size) : data_(data), size_(size) {}
  void Reset();

  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

// The host side of one RAM region. Only the accelerator may use `host`
// (to register memory slots); devices and loaders go through GuestMemory.
struct HostRegion {
  GuestAddress guest_start;
  uint64_t size = 0;
  uint8_t* host = nullptr;
};

// Guest RAM: a set of non-overlapping regions. Every access is
// (guest address, length), checked against the regions and overflow-safe;
// an access that is not entirely inside one region fails with a Status.
// Accesses spanning two regions are rejected even when the regions are
// adjacent: devices never need it on our memory maps, and it keeps the check
// to a single comparison.
//
// Thread-safety: the region set is fixed after construction; Read/Write may
// be called concurrently (the guest itself writes concurrently, so callers
// that need atomicity with the guest must use their own protocol).
class GuestMemory {
 public:
  struct RegionSpec {
    GuestAddress start;
    uint64_t size = 0;
  };

  // Creates and maps every region. Sizes must be non-zero multiples of the
  // page size; regions must not overlap or wrap past 2^64.
  static absl::StatusOr<std::unique_ptr<GuestMemory>> Create(
      const std::vector<RegionSpec>& regions);

  absl::Status Read(GuestAddress addr, absl::Span<uint8_t> out) const;
  absl::Status Write(GuestAddress addr, absl::Span<const uint8_t> data);

  template <typename T>
  absl::StatusOr<T> ReadObj(GuestAddress addr) const {
    static_assert(std::is_trivially_copyable<T>::value, "T must be trivially copyable");
    T value;
    absl::Status status =
        Read(addr, absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&value), sizeof(T)));
    if (!status.ok()) return status;
    return value;
  }

  template <typename T>
  absl::Status WriteObj(GuestAddress addr, const T& value) {
    static_assert(std::is_trivially_copyable<T>::value, "T must be trivially copyable");
    return Write(addr,
                 absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(&value), sizeof(T)));
  }

  // For asynchronous I/O submission only (io_uring, preadv): the host iovec
  // backing [addr, addr + len), checked like Read/Write (the range must lie
  // inside one region; len 0 is allowed anywhere inside RAM). The pointer is
  // valid only while this GuestMemory lives; callers hand it to the kernel
  // and never dereference it themselves or keep it past the I/O.
  absl::StatusOr<struct iovec> HostIovecForIo(GuestAddress addr, uint64_t len) const;

  // Single-copy-atomic 16-bit load/store of a naturally aligned value, for
  // fields shared with a running guest (virtqueue ring indices and event
  // fields): Read/Write copy bytes with memcpy, which may tear a 2-byte
  // value that the guest updates concurrently. Load has acquire and Store
  // release ordering. Fails if misaligned or outside RAM.
  absl::StatusOr<uint16_t> LoadAtomic16(GuestAddress addr) const;
  absl::Status StoreAtomic16(GuestAddress addr, uint16_t value);

  // True if [addr, addr + len) lies inside one region.
  bool IsValidRange(GuestAddress addr, uint64_t len) const;

  // Total bytes of RAM over all regions.
  uint64_t total_size() const;

  // For the accelerator only: the host ranges backing guest RAM.
  std::vector<HostRegion> HostRegionsForAccelerator() const;

 private:
  struct Region {
    GuestAddress start;
    Mapping mapping;
  };
  explicit GuestMemory(std::vector<Region> regions) : regions_(std::move(regions)) {}

  // Host pointer for [addr, addr + len) or an error naming the range.
  absl::StatusOr<uint8_t*> Translate(GuestAddress addr, uint64_t len) const;

  std::vector<Region> regions_;  // Sorted by start.
};

}  // namespace vmm

#endif  // VMM_MEMORY_GUEST_MEMORY_H_
