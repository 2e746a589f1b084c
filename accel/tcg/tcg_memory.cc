#include "accel/tcg/tcg_memory.h"

#include <sys/uio.h>

#include <cstring>

#include "absl/strings/str_format.h"

namespace vmm {

uint8_t* TcgGuestMemory::RamPage(uint64_t page_addr) {
  // The mapping lives as long as the GuestMemory, which outlives the JIT's
  // TLBs (the interface's contract).
  absl::StatusOr<struct iovec> iov = memory_->HostIovecForIo(GuestAddress(page_addr), tcg::kGuestPageSize);
  if (!iov.ok()) return nullptr;
  return static_cast<uint8_t*>(iov->iov_base);
}

absl::StatusOr<uint64_t> TcgGuestMemory::MmioRead(uint64_t addr, unsigned size) {
  uint8_t buf[8];
  std::memset(buf, 0xff, sizeof(buf));
  if (size == 0 || size > 8 || !mmio_->Read(addr, absl::MakeSpan(buf, size))) {
    return absl::NotFoundError(absl::StrFormat("no device at 0x%x (size %u)", addr, size));
  }
  uint64_t v = 0;
  std::memcpy(&v, buf, size);  // little-endian host and guest
  return v;
}

absl::Status TcgGuestMemory::MmioWrite(uint64_t addr, unsigned size, uint64_t value) {
  uint8_t buf[8];
  std::memcpy(buf, &value, sizeof(buf));
  if (size == 0 || size > 8 || !mmio_->Write(addr, absl::MakeConstSpan(buf, size))) {
    return absl::NotFoundError(absl::StrFormat("no device at 0x%x (size %u)", addr, size));
  }
  return absl::OkStatus();
}

}  // namespace vmm
