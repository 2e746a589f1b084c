#include "tcg/testing/flat_memory.h"

#include <cstring>

#include "absl/strings/str_format.h"

namespace tcg::testing {

FlatMemory::FlatMemory(uint64_t ram_base, uint64_t ram_size)
    : ram_base_(ram_base),
      ram_((ram_size + kGuestPageMask) & ~kGuestPageMask, 0) {}

void FlatMemory::AddMmio(uint64_t base, uint64_t size, ReadFn read, WriteFn write) {
  mmio_.push_back(Mmio{base, size, std::move(read), std::move(write)});
}

bool FlatMemory::InRam(uint64_t addr, uint64_t len) const {
  // Overflow-safe: compare offsets, never addr + len.
  if (addr < ram_base_) return false;
  const uint64_t off = addr - ram_base_;
  return off <= ram_.size() && len <= ram_.size() - off;
}

absl::Status FlatMemory::Write(uint64_t addr, const void* data, uint64_t len) {
  if (!InRam(addr, len)) {
    return absl::OutOfRangeError(absl::StrFormat(
        "write [0x%x, +0x%x) outside RAM [0x%x, +0x%x)", addr, len, ram_base_, ram_.size()));
  }
  if (len > 0) std::memcpy(ram_.data() + (addr - ram_base_), data, len);
  return absl::OkStatus();
}

absl::Status FlatMemory::Read(uint64_t addr, void* data, uint64_t len) const {
  if (!InRam(addr, len)) {
    return absl::OutOfRangeError(absl::StrFormat(
        "read [0x%x, +0x%x) outside RAM [0x%x, +0x%x)", addr, len, ram_base_, ram_.size()));
  }
  if (len > 0) std::memcpy(data, ram_.data() + (addr - ram_base_), len);
  return absl::OkStatus();
}

uint8_t* FlatMemory::RamPage(uint64_t page_addr) {
  if (!InRam(page_addr, kGuestPageSize)) return nullptr;
  return ram_.data() + (page_addr - ram_base_);
}

const FlatMemory::Mmio* FlatMemory::FindMmio(uint64_t addr, unsigned size) const {
  for (const Mmio& m : mmio_) {
    if (addr >= m.base && addr - m.base < m.size && size <= m.size - (addr - m.base)) return &m;
  }
  return nullptr;
}

absl::StatusOr<uint64_t> FlatMemory::MmioRead(uint64_t addr, unsigned size) {
  const Mmio* m = FindMmio(addr, size);
  if (m == nullptr || !m->read) {
    return absl::NotFoundError(absl::StrFormat("read addr=0x%x size=%d: no device", addr, size));
  }
  return m->read(addr - m->base, size);
}

absl::Status FlatMemory::MmioWrite(uint64_t addr, unsigned size, uint64_t value) {
  const Mmio* m = FindMmio(addr, size);
  if (m == nullptr || !m->write) {
    return absl::NotFoundError(absl::StrFormat("write addr=0x%x size=%d: no device", addr, size));
  }
  return m->write(addr - m->base, size, value);
}

}  // namespace tcg::testing
