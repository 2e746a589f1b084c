#ifndef TCG_X86_64_CODE_BUFFER_H_
#define TCG_X86_64_CODE_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace tcg::x86_64 {

// A W^X code region: one memfd mapped twice, read+write at one address and
// read+execute at another. No page is ever writable and executable through
// the same mapping, and code can be written (or patched) while other threads
// execute it. Freed when the last user (every block placed in it) is gone.
class CodeChunk {
 public:
  static absl::StatusOr<std::shared_ptr<CodeChunk>> Create(size_t size);
  ~CodeChunk();
  CodeChunk(const CodeChunk&) = delete;
  CodeChunk& operator=(const CodeChunk&) = delete;

  size_t size() const { return size_; }
  uint8_t* writable(size_t offset) { return rw_ + offset; }
  const uint8_t* executable(size_t offset) const { return rx_ + offset; }

 private:
  CodeChunk(uint8_t* rw, uint8_t* rx, size_t size) : rw_(rw), rx_(rx), size_(size) {}
  uint8_t* rw_;
  uint8_t* rx_;
  size_t size_;
};

// Where one block's code was placed; keeps its chunk alive.
struct CodePlacement {
  std::shared_ptr<CodeChunk> chunk;
  const uint8_t* entry = nullptr;
  size_t size = 0;
};

// Bump allocator over chunks, shared by all vCPU threads. When a chunk is
// full a new one is started; old chunks die with their last block.
class CodeAllocator {
 public:
  explicit CodeAllocator(size_t chunk_size = 4 << 20) : chunk_size_(chunk_size) {}

  // Copies `code` into executable memory (16-byte aligned).
  absl::StatusOr<CodePlacement> Place(absl::Span<const uint8_t> code);

 private:
  const size_t chunk_size_;
  absl::Mutex mu_;
  std::shared_ptr<CodeChunk> current_ ABSL_GUARDED_BY(mu_);
  size_t used_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tcg::x86_64

#endif  // TCG_X86_64_CODE_BUFFER_H_
