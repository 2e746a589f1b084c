#include "tcg/x86_64/code_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_format.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/fd.h"

namespace tcg::x86_64 {

absl::StatusOr<std::shared_ptr<CodeChunk>> CodeChunk::Create(size_t size) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (size == 0 || size > (size_t{1} << 30)) {
    return absl::InvalidArgumentError(absl::StrFormat("code chunk size=%d: must be 1..1GiB", size));
  }
  size = (size + page - 1) / page * page;
  vmm::Fd fd(memfd_create("tcg-code", MFD_CLOEXEC));
  if (!fd.valid()) return vmm::ErrnoStatus("memfd_create(tcg-code)");
  if (ftruncate(fd.get(), static_cast<off_t>(size)) != 0) return vmm::ErrnoStatus("ftruncate code memfd");
  void* rw = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (rw == MAP_FAILED) return vmm::ErrnoStatus("mmap code RW view");
  void* rx = mmap(nullptr, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd.get(), 0);
  if (rx == MAP_FAILED) {
    absl::Status s = vmm::ErrnoStatus("mmap code RX view");
    munmap(rw, size);
    return s;
  }
  // The fd can close now: the mappings keep the memory.
  return std::shared_ptr<CodeChunk>(
      new CodeChunk(static_cast<uint8_t*>(rw), static_cast<uint8_t*>(rx), size));
}

CodeChunk::~CodeChunk() {
  munmap(rw_, size_);
  munmap(rx_, size_);
}

absl::StatusOr<CodePlacement> CodeAllocator::Place(absl::Span<const uint8_t> code) {
  if (code.size() > chunk_size_) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "block code size=%d exceeds the chunk size %d", code.size(), chunk_size_));
  }
  absl::MutexLock lock(&mu_);
  size_t offset = (used_ + 15) & ~size_t{15};
  if (!current_ || offset + code.size() > current_->size()) {
    absl::StatusOr<std::shared_ptr<CodeChunk>> chunk = CodeChunk::Create(chunk_size_);
    if (!chunk.ok()) return chunk.status();
    current_ = *std::move(chunk);
    offset = 0;
  }
  std::memcpy(current_->writable(offset), code.data(), code.size());
  used_ = offset + code.size();
  return CodePlacement{current_, current_->executable(offset), code.size()};
}

}  // namespace tcg::x86_64
