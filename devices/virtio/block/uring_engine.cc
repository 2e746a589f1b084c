#include "devices/virtio/block/uring_engine.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_format.h"
#include "vmm/base/errno_status.h"

namespace vmm {
namespace virtio {

absl::StatusOr<std::unique_ptr<UringEngine>> UringEngine::Create(unsigned entries) {
  if (entries == 0 || entries > 4096) {
    return absl::InvalidArgumentError(
        absl::StrFormat("io_uring entries=%d: must be 1..4096", entries));
  }
  std::unique_ptr<UringEngine> e(new UringEngine());
  io_uring_params params;
  std::memset(&params, 0, sizeof(params));
  params.flags = IORING_SETUP_CQSIZE;
  params.cq_entries = entries * 2;
  int rc = io_uring_queue_init_params(entries, &e->ring_, &params);
  if (rc < 0) return ErrnoStatus(-rc, absl::StrFormat("io_uring_queue_init(%d)", entries));
  e->ring_ok_ = true;
  e->entries_ = entries;
  e->event_fd_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!e->event_fd_) return ErrnoStatus("eventfd for io_uring");
  rc = io_uring_register_eventfd(&e->ring_, e->event_fd_.get());
  if (rc < 0) return ErrnoStatus(-rc, "io_uring_register_eventfd");
  return e;
}

UringEngine::~UringEngine() {
  if (!ring_ok_) return;
  // The kernel may still write into guest memory for in-flight requests:
  // wait for them before the ring (and, in the owner, the memory) goes.
  Reap(true, [](uint64_t, int32_t) {});
  while (in_flight_ > 0) Reap(true, [](uint64_t, int32_t) {});
  io_uring_queue_exit(&ring_);
}

io_uring_sqe* UringEngine::NextSqe() {
  if (room() == 0) return nullptr;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) return nullptr;
  ++pending_;
  return sqe;
}

absl::Status UringEngine::Submit() {
  while (pending_ > 0) {
    int rc = io_uring_submit(&ring_);
    if (rc == -EINTR || rc == -EAGAIN) continue;
    if (rc < 0) return ErrnoStatus(-rc, "io_uring_submit");
    in_flight_ += static_cast<unsigned>(rc);
    pending_ -= std::min<unsigned>(pending_, static_cast<unsigned>(rc));
    if (rc == 0) break;
  }
  return absl::OkStatus();
}

unsigned UringEngine::Reap(bool wait, const std::function<void(uint64_t, int32_t)>& done) {
  unsigned n = 0;
  for (;;) {
    io_uring_cqe* cqe = nullptr;
    int rc;
    if (wait && n == 0 && in_flight_ > 0) {
      rc = io_uring_wait_cqe(&ring_, &cqe);
      if (rc == -EINTR) continue;
    } else {
      rc = io_uring_peek_cqe(&ring_, &cqe);
    }
    if (rc < 0 || cqe == nullptr) break;
    const uint64_t user_data = cqe->user_data;
    const int32_t res = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    if (in_flight_ > 0) --in_flight_;
    ++n;
    done(user_data, res);
  }
  return n;
}

void UringEngine::ClearEvent() {
  uint64_t v;
  while (::read(event_fd_.get(), &v, sizeof(v)) == sizeof(v)) {
  }
}

}  // namespace virtio
}  // namespace vmm
