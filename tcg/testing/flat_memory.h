#ifndef TCG_TESTING_FLAT_MEMORY_H_
#define TCG_TESTING_FLAT_MEMORY_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tcg/runtime/guest_memory_interface.h"

namespace tcg::testing {

// A GuestMemoryInterface for tests and the bare-metal harness: one RAM
// region plus MMIO ranges served by callbacks. Everything else faults.
class FlatMemory : public GuestMemoryInterface {
 public:
  using ReadFn = std::function<absl::StatusOr<uint64_t>(uint64_t offset, unsigned size)>;
  using WriteFn = std::function<absl::Status(uint64_t offset, unsigned size, uint64_t value)>;

  // `ram_size` is rounded up to whole pages.
  FlatMemory(uint64_t ram_base, uint64_t ram_size);

  // Serves [base, base+size) with the callbacks (offsets relative to base).
  void AddMmio(uint64_t base, uint64_t size, ReadFn read, WriteFn write);

  // Host-side access for loaders and test checks; bounds-checked.
  absl::Status Write(uint64_t addr, const void* data, uint64_t len);
  absl::Status Read(uint64_t addr, void* data, uint64_t len) const;

  uint64_t ram_base() const { return ram_base_; }
  uint64_t ram_size() const { return ram_.size(); }

  uint8_t* RamPage(uint64_t page_addr) override;
  absl::StatusOr<uint64_t> MmioRead(uint64_t addr, unsigned size) override;
  absl::Status MmioWrite(uint64_t addr, unsigned size, uint64_t value) override;

 private:
  struct Mmio {
    uint64_t base, size;
    ReadFn read;
    WriteFn write;
  };
  const Mmio* FindMmio(uint64_t addr, unsigned size) const;
  bool InRam(uint64_t addr, uint64_t len) const;

  uint64_t ram_base_;
  std::vector<uint8_t> ram_;
  std::vector<Mmio> mmio_;
};

}  // namespace tcg::testing

#endif  // TCG_TESTING_FLAT_MEMORY_H_
