#ifndef VMM_WORKER_CONSOLE_BUFFER_H_
#define VMM_WORKER_CONSOLE_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vmm::worker {

// Recent guest console output, for any number of readers.
//
// Bytes are numbered from 0 in the order they were appended; the buffer
// keeps the last `capacity` of them. Each reader holds its own cursor (the
// number of the next byte it wants), so one slow reader never blocks the
// guest or the other readers: a reader that falls more than `capacity` bytes
// behind skips ahead and loses the oldest output.
class ConsoleBuffer {
 public:
  explicit ConsoleBuffer(size_t capacity);

  // Called from vCPU threads: copies and returns, never waits for readers.
  void Append(absl::string_view bytes);

  // After Close(), readers get what is left and then false.
  void Close();

  // The cursor of the oldest byte still held (for replay) and of the next
  // byte to be appended (to follow only new output).
  uint64_t oldest() const;
  uint64_t end() const;

  // Appends to `out` the bytes from *cursor on (at most `max_bytes`) and
  // advances *cursor. Waits up to `timeout` when there is nothing new.
  // Returns false once the buffer is closed and the reader has everything.
  bool Read(uint64_t* cursor, std::string* out, size_t max_bytes, absl::Duration timeout);

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::string ring_ ABSL_GUARDED_BY(mu_);  // Byte n lives at n % capacity_.
  uint64_t end_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace vmm::worker

#endif  // VMM_WORKER_CONSOLE_BUFFER_H_
