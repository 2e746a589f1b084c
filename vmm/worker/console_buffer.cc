#include "vmm/worker/console_buffer.h"

#include <algorithm>

namespace vmm::worker {

ConsoleBuffer::ConsoleBuffer(size_t capacity)
    : capacity_(std::max<size_t>(capacity, 1)), ring_(capacity_, '\0') {}

void ConsoleBuffer::Append(absl::string_view bytes) {
  if (bytes.empty()) return;
  absl::MutexLock lock(&mu_);
  // Only the last capacity_ bytes can survive this append.
  if (bytes.size() > capacity_) {
    end_ += bytes.size() - capacity_;
    bytes.remove_prefix(bytes.size() - capacity_);
  }
  for (char c : bytes) {
    ring_[end_ % capacity_] = c;
    ++end_;
  }
}

void ConsoleBuffer::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

uint64_t ConsoleBuffer::oldest() const {
  absl::MutexLock lock(&mu_);
  return end_ > capacity_ ? end_ - capacity_ : 0;
}

uint64_t ConsoleBuffer::end() const {
  absl::MutexLock lock(&mu_);
  return end_;
}

bool ConsoleBuffer::Read(uint64_t* cursor, std::string* out, size_t max_bytes,
                         absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this, cursor]()
                   ABSL_SHARED_LOCKS_REQUIRED(mu_) { return closed_ || *cursor < end_; };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  uint64_t oldest = end_ > capacity_ ? end_ - capacity_ : 0;
  if (*cursor < oldest) *cursor = oldest;  // Fell behind: lose the oldest.
  if (*cursor > end_) *cursor = end_;
  uint64_t n = std::min<uint64_t>(end_ - *cursor, max_bytes);
  for (uint64_t i = 0; i < n; ++i) out->push_back(ring_[(*cursor + i) % capacity_]);
  *cursor += n;
  return !(closed_ && *cursor == end_ && n == 0);
}

}  // namespace vmm::worker
