#ifndef DEVICES_VIRTIO_BLOCK_URING_ENGINE_H_
#define DEVICES_VIRTIO_BLOCK_URING_ENGINE_H_

#include <liburing.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vmm/base/fd.h"

namespace vmm {
namespace virtio {

// One io_uring with an eventfd that becomes readable when completions
// arrive, so a device event loop can poll it next to its kick eventfds.
// Tracks how many operations are in flight; never more than `entries`
// (the completion ring is twice that, so it cannot overflow).
// Not thread-safe: one event loop thread owns it.
class UringEngine {
 public:
  static absl::StatusOr<std::unique_ptr<UringEngine>> Create(unsigned entries);
  ~UringEngine();
  UringEngine(const UringEngine&) = delete;
  UringEngine& operator=(const UringEngine&) = delete;

  int event_fd() const { return event_fd_.get(); }
  unsigned capacity() const { return entries_; }
  unsigned in_flight() const { return in_flight_; }
  unsigned pending() const { return pending_; }
  unsigned room() const { return entries_ - in_flight_ - pending_; }

  // A zeroed SQE (user_data still to be set), or nullptr if `room()` is 0.
  io_uring_sqe* NextSqe();
  // Submits everything prepared since the last call.
  absl::Status Submit();
  // Calls `done(user_data, result)` for every completion available now;
  // returns how many. With `wait`, blocks for at least one if any is in
  // flight.
  unsigned Reap(bool wait, const std::function<void(uint64_t, int32_t)>& done);
  // Consumes the eventfd's counter.
  void ClearEvent();

 private:
  UringEngine() = default;

  io_uring ring_{};
  bool ring_ok_ = false;
  Fd event_fd_;
  unsigned entries_ = 0;
  unsigned in_flight_ = 0;  // Submitted, not completed.
  unsigned pending_ = 0;    // Prepared, not submitted.
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_BLOCK_URING_ENGINE_H_
