#ifndef DEVICES_BUS_BUS_H_
#define DEVICES_BUS_BUS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace vmm {

// A device reachable through a bus range. `offset` is relative to the base
// the device was registered at; `data.size()` is the access size (1, 2, 4 or
// 8 for CPU accesses). Called concurrently from any vCPU thread: devices lock
// themselves. A device does not know which accelerator is behind the access.
class BusDevice {
 public:
  virtual ~BusDevice() = default;
  virtual absl::string_view name() const = 0;
  // Fill `data` (little-endian). Bytes left untouched read as whatever the
  // caller pre-filled (the bus pre-fills all-ones).
  virtual void Read(uint64_t offset, absl::Span<uint8_t> data) = 0;
  virtual void Write(uint64_t offset, absl::Span<const uint8_t> data) = 0;
};

// One address space (x86 port I/O, or MMIO). Devices are registered by range
// before vCPUs start; dispatch is thread-safe.
class Bus {
 public:
  explicit Bus(std::string name) : name_(std::move(name)) {}

  // Claims [base, base + len). Overlaps with an existing range are rejected.
  absl::Status Register(uint64_t base, uint64_t len, std::shared_ptr<BusDevice> device);

  // Dispatches an access. Returns false if no device claims `addr` (or the
  // access straddles the end of the claiming range): reads then return
  // all-ones, writes are dropped, and the first few such addresses are logged
  // once each.
  bool Read(uint64_t addr, absl::Span<uint8_t> data);
  bool Write(uint64_t addr, absl::Span<const uint8_t> data);

 private:
  struct Range {
    uint64_t len;
    std::shared_ptr<BusDevice> device;
  };
  // The device claiming the whole [addr, addr + size), or null.
  BusDevice* Find(uint64_t addr, uint64_t size, uint64_t* offset) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void LogUnclaimed(absl::string_view kind, uint64_t addr, size_t size);

  const std::string name_;
  mutable absl::Mutex mu_;
  std::map<uint64_t, Range> ranges_ ABSL_GUARDED_BY(mu_);  // Keyed by base.
  absl::Mutex log_mu_;
  absl::flat_hash_set<uint64_t> logged_ ABSL_GUARDED_BY(log_mu_);
};

}  // namespace vmm

#endif  // DEVICES_BUS_BUS_H_
