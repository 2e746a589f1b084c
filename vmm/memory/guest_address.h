#ifndef VMM_MEMORY_GUEST_ADDRESS_H_
#define VMM_MEMORY_GUEST_ADDRESS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"

namespace vmm {

// A guest physical address. A distinct type so that guest addresses, host
// pointers, sizes and offsets cannot be mixed up silently (rust-vmm's
// vm-memory does the same).
class GuestAddress {
 public:
  constexpr GuestAddress() = default;
  constexpr explicit GuestAddress(uint64_t value) : value_(value) {}

  constexpr uint64_t value() const { return value_; }

  // `this + offset`, or nullopt if it wraps past 2^64.
  constexpr std::optional<GuestAddress> CheckedAdd(uint64_t offset) const {
    uint64_t sum = value_ + offset;
    if (sum < value_) return std::nullopt;
    return GuestAddress(sum);
  }

  friend constexpr bool operator==(GuestAddress a, GuestAddress b) { return a.value_ == b.value_; }
  friend constexpr bool operator!=(GuestAddress a, GuestAddress b) { return a.value_ != b.value_; }
  friend constexpr bool operator<(GuestAddress a, GuestAddress b) { return a.value_ < b.value_; }
  friend constexpr bool operator<=(GuestAddress a, GuestAddress b) { return a.value_ <= b.value_; }
  friend constexpr bool operator>(GuestAddress a, GuestAddress b) { return a.value_ > b.value_; }
  friend constexpr bool operator>=(GuestAddress a, GuestAddress b) { return a.value_ >= b.value_; }

  std::string ToString() const { return absl::StrFormat("0x%x", value_); }

 private:
  uint64_t value_ = 0;
};

}  // namespace vmm

#endif  // VMM_MEMORY_GUEST_ADDRESS_H_
