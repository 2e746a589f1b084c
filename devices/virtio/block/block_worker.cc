#include "devices/virtio/block/block_worker.h"

#include <cerrno>

#include <fcntl.h>
#include <linux/falloc.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "devices/virtio/queue/buffer_slice.h"
#include "vmm/base/log.h"

namespace vmm {
namespace virtio {

BlockWorker::BlockWorker(Setup setup)
    : setup_(std::move(setup)),
      queues_(setup_.activation.queues),
      throttled_(queues_.size(), false),
      dirty_(queues_.size(), false),
      next_id_(setup_.first_id) {}

void BlockWorker::Run() {
  std::vector<pollfd> fds;
  fds.push_back({setup_.stop_fd, POLLIN, 0});
  fds.push_back({setup_.engine->event_fd(), POLLIN, 0});
  for (const ActiveQueue& aq : queues_) {
    fds.push_back({setup_.kick_fds[aq.index], POLLIN, 0});
  }
  // Buffers made available before activation are served without a kick.
  for (size_t q = 0; q < queues_.size(); ++q) ProcessQueue(q);
  NotifyDirty();
  for (;;) {
    int n = ::poll(fds.data(), fds.size(), -1);
    if (n < 0) continue;  // EINTR
    if (fds[0].revents & POLLIN) break;
    if (fds[1].revents & POLLIN) {
      setup_.engine->ClearEvent();
      setup_.engine->Reap(false, [this](uint64_t id, int32_t res) { OnCompletion(id, res); });
      for (size_t q = 0; q < queues_.size(); ++q) {
        if (throttled_[q]) ProcessQueue(q);
      }
    }
    for (size_t q = 0; q < queues_.size(); ++q) {
      if (fds[2 + q].revents & POLLIN) {
        uint64_t v;
        (void)!::read(fds[2 + q].fd, &v, sizeof(v));
        ProcessQueue(q);
      }
    }
    NotifyDirty();
  }
  // Reset: let the kernel finish with guest memory and complete what was in
  // flight (as QEMU's drain does). This all happens inside the driver's
  // status write, before the reset is visible to it; no interrupt is sent.
  // SQEs prepared but not submitted (after a failed submit) point at this
  // worker's iovecs and the driver's buffers: the next activation's first
  // submit would send them to the kernel. Submit them now so the drain
  // covers them.
  if (setup_.engine->pending() > 0) {
    absl::Status s = setup_.engine->Submit();
    if (!s.ok() || setup_.engine->pending() > 0) {
      Log(LogLevel::kError, "virtio_blk", "reset_submit_failed",
          {{"error", std::string(s.message())},
           {"pending", absl::StrFormat("%d", setup_.engine->pending())}});
    }
  }
  while (setup_.engine->in_flight() > 0) {
    setup_.engine->Reap(true, [this](uint64_t id, int32_t res) { OnCompletion(id, res); });
  }
  setup_.engine->ClearEvent();
}

void BlockWorker::Broken(const std::string& reason) {
  if (broken_) return;
  broken_ = true;
  setup_.activation.link->MarkNeedsReset(reason);
}

void BlockWorker::ProcessQueue(size_t q) {
  if (broken_) return;
  SplitQueue& queue = queues_[q].queue;
  throttled_[q] = false;
  for (;;) {
    for (;;) {
      absl::StatusOr<std::optional<DescriptorChain>> chain = queue.Pop();
      if (!chain.ok()) return Broken(std::string(chain.status().message()));
      if (!chain->has_value()) break;
      absl::StatusOr<ChainBuffers> bufs = CollectChain(**chain);
      if (!bufs.ok()) return Broken(std::string(bufs.status().message()));
      absl::StatusOr<BlkRequest> req =
          ParseBlkRequest(*setup_.activation.memory, *bufs, setup_.limits);
      if (!req.ok()) return Broken(std::string(req.status().message()));
      if (!Start(q, std::move(*req))) {
        queue.Undo();
        throttled_[q] = true;
        break;
      }
      if (broken_) return;
    }
    absl::Status s = setup_.engine->Submit();
    if (!s.ok()) {
      Log(LogLevel::kError, "virtio_blk", "submit_failed", {{"error", std::string(s.message())}});
    }
    if (throttled_[q]) return;  // Resumed when completions free room.
    absl::StatusOr<bool> more = queue.EnableNotification();
    if (!more.ok()) return Broken(std::string(more.status().message()));
    if (!*more) return;
  }
}

void BlockWorker::CompleteNow(size_t q, uint16_t head, GuestAddress status, uint8_t value,
                              uint32_t used_len) {
  GuestMemory* mem = setup_.activation.memory;
  if (value != kBlkSOk) setup_.counters->errors.fetch_add(1, std::memory_order_relaxed);
  absl::Status s = mem->WriteObj(status, value);
  if (s.ok()) s = queues_[q].queue.AddUsed(head, used_len);
  if (!s.ok()) return Broken(std::string(s.message()));
  dirty_[q] = true;
}

bool BlockWorker::Start(size_t q, BlkRequest req) {
  if (req.immediate_status.has_value()) {
    Log(LogLevel::kDebug, "virtio_blk", "request_refused",
        {{"head", absl::StrFormat("%d", req.head)}, {"reason", req.error}});
    CompleteNow(q, req.head, req.status, *req.immediate_status, 1);
    return true;
  }
  const DiskImage& image = *setup_.image;
  const uint64_t id = next_id_;
  // Every SQE of this request carries its id.
  auto next_sqe = [this, id]() {
    io_uring_sqe* sqe = setup_.engine->NextSqe();  // Room was checked first.
    io_uring_sqe_set_data64(sqe, id);
    return sqe;
  };
  auto inflight = std::make_unique<Inflight>();
  inflight->queue = q;
  inflight->head = req.head;
  inflight->status = req.status;
  inflight->type = req.type;
  BlockCounters& counters = *setup_.counters;

  switch (req.type) {
    case kBlkTGetId: {
      uint8_t id[kBlkIdBytes] = {};
      std::memcpy(id, setup_.serial.data(), std::min<size_t>(setup_.serial.size(), sizeof(id)));
      absl::Status s = WriteStream(*setup_.activation.memory, req.data,
                                   absl::Span<const uint8_t>(id, req.data_len));
      CompleteNow(q, req.head, req.status, s.ok() ? kBlkSOk : kBlkSIoErr,
                  static_cast<uint32_t>(s.ok() ? req.data_len + 1 : 1));
      return true;
    }
    case kBlkTFlush:
      counters.flushes.fetch_add(1, std::memory_order_relaxed);
      if (image.read_only() || image.cache_mode() == CacheMode::kUnsafe) {
        CompleteNow(q, req.head, req.status, kBlkSOk, 1);
        return true;
      }
      if (setup_.engine->room() < 1) return false;
      inflight->pending = 1;
      io_uring_prep_fsync(next_sqe(), image.fd(), IORING_FSYNC_DATASYNC);
      break;
    case kBlkTIn:
    case kBlkTOut: {
      (req.type == kBlkTIn ? counters.read_requests : counters.write_requests)
          .fetch_add(1, std::memory_order_relaxed);
      if (req.data_len == 0) {
        CompleteNow(q, req.head, req.status, kBlkSOk, 1);
        return true;
      }
      for (const Descriptor& d : req.data) {
        absl::StatusOr<iovec> iov = setup_.activation.memory->HostIovecForIo(d.addr, d.len);
        if (!iov.ok()) {
          CompleteNow(q, req.head, req.status, kBlkSIoErr, 1);
          return true;
        }
        inflight->iov.push_back(*iov);
      }
      if (setup_.engine->room() < 1) return false;
      inflight->pending = 1;
      inflight->expect = static_cast<int64_t>(req.data_len);
      io_uring_sqe* sqe = next_sqe();
      const uint64_t off = req.sector * kSectorSize;  // Bounded by capacity.
      if (req.type == kBlkTIn) {
        inflight->used_len = static_cast<uint32_t>(req.data_len + 1);
        io_uring_prep_readv(sqe, image.fd(), inflight->iov.data(),
                            static_cast<unsigned>(inflight->iov.size()), off);
      } else {
        io_uring_prep_writev(sqe, image.fd(), inflight->iov.data(),
                             static_cast<unsigned>(inflight->iov.size()), off);
      }
      break;
    }
    case kBlkTDiscard:
    case kBlkTWriteZeroes: {
      unsigned ops = 0;
      for (const BlkDiscardWriteZeroes& r : req.ranges) ops += r.num_sectors > 0 ? 1 : 0;
      if (ops == 0) {
        CompleteNow(q, req.head, req.status, kBlkSOk, 1);
        return true;
      }
      if (setup_.engine->room() < ops) return false;
      inflight->pending = static_cast<int>(ops);
      for (const BlkDiscardWriteZeroes& r : req.ranges) {
        if (r.num_sectors == 0) continue;
        // Both leave the range reading as zeros; a hole also frees space.
        int mode = FALLOC_FL_KEEP_SIZE;
        const off_t off = static_cast<off_t>(r.sector * kSectorSize);
        const off_t len = static_cast<off_t>(uint64_t{r.num_sectors} * kSectorSize);
        if (req.type == kBlkTDiscard || (r.flags & kBlkWriteZeroesFlagUnmap) ||
            zero_range_unsupported_) {
          mode |= FALLOC_FL_PUNCH_HOLE;
        } else {
          mode |= FALLOC_FL_ZERO_RANGE;
          inflight->zero_ranges.emplace_back(off, len);
        }
        io_uring_sqe* sqe = next_sqe();
        io_uring_prep_fallocate(sqe, image.fd(), mode, off, len);
      }
      break;
    }
    default:
      CompleteNow(q, req.head, req.status, kBlkSUnsupp, 1);
      return true;
  }
  ++next_id_;
  inflight_.emplace(id, std::move(inflight));
  return true;
}

void BlockWorker::OnCompletion(uint64_t id, int32_t res) {
  auto it = inflight_.find(id);
  if (it == inflight_.end()) return;
  Inflight& r = *it->second;
  if (res == -EOPNOTSUPP && !r.zero_ranges.empty() && !r.retry_with_punch) {
    // No ZERO_RANGE here (tmpfs): a hole reads as zeros too (§5.2.6.2
    // allows deallocating for WRITE_ZEROES); redo the ranges once all are in.
    zero_range_unsupported_ = true;
    r.retry_with_punch = true;
    res = 0;
  }
  if (r.expect >= 0 ? res != r.expect : res != 0) {
    if (!r.failed) {
      Log(LogLevel::kWarning, "virtio_blk", "io_error",
          {{"head", absl::StrFormat("%d", r.head)},
           {"result", res < 0 ? std::string(std::strerror(-res)) : absl::StrFormat("%d", res)},
           {"expected", absl::StrFormat("%d", r.expect < 0 ? 0 : r.expect)}});
    }
    r.failed = true;
  }
  if (--r.pending > 0) return;
  if (r.retry_with_punch && !r.failed && !r.zero_ranges.empty()) {
    if (setup_.engine->room() >= r.zero_ranges.size()) {
      for (const auto& [off, len] : r.zero_ranges) {
        io_uring_sqe* sqe = setup_.engine->NextSqe();
        io_uring_sqe_set_data64(sqe, id);
        io_uring_prep_fallocate(sqe, setup_.image->fd(),
                                FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, off, len);
      }
      r.pending = static_cast<int>(r.zero_ranges.size());
      r.zero_ranges.clear();  // Only one retry.
      absl::Status s = setup_.engine->Submit();
      if (s.ok()) return;
      r.failed = true;
      r.pending = 0;  // Nothing to wait for if the submit itself failed.
    } else {
      r.failed = true;
    }
  }
  const bool ok = !r.failed;
  if (ok && r.expect > 0) {
    (r.type == kBlkTIn ? setup_.counters->read_bytes : setup_.counters->write_bytes)
        .fetch_add(static_cast<uint64_t>(r.expect), std::memory_order_relaxed);
  }
  CompleteNow(r.queue, r.head, r.status, ok ? kBlkSOk : kBlkSIoErr, ok ? r.used_len : 1);
  inflight_.erase(it);
}

void BlockWorker::NotifyDirty() {
  for (size_t q = 0; q < queues_.size(); ++q) {
    if (!dirty_[q]) continue;
    dirty_[q] = false;
    absl::StatusOr<bool> notify = queues_[q].queue.ShouldNotify();
    if (!notify.ok()) return Broken(std::string(notify.status().message()));
    if (*notify) setup_.activation.link->SignalUsed(queues_[q].index);
  }
}

}  // namespace virtio
}  // namespace vmm
