#include "devices/virtio/block/block_device.h"

#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "devices/virtio/core/virtio_spec.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/log.h"

namespace vmm {
namespace virtio {

namespace {
constexpr uint32_t kMaxDiscardSeg = 32;
// 1 GiB per range: large enough for mkfs, small enough that one fallocate
// does not stall the event loop for long.
constexpr uint32_t kMaxDiscardSectors = (1u << 30) / kSectorSize;
}  // namespace

absl::StatusOr<std::unique_ptr<BlockDevice>> BlockDevice::Create(
    const BlockDeviceOptions& options) {
  if (options.serial.size() > kBlkIdBytes) {
    return absl::InvalidArgumentError(absl::StrFormat("disk serial \"%s\" is %d bytes: at most %d",
                                                      options.serial, options.serial.size(),
                                                      kBlkIdBytes));
  }
  if (options.num_queues == 0 || options.num_queues > 64) {
    return absl::InvalidArgumentError(
        absl::StrFormat("disk num_queues=%d: must be 1..64", options.num_queues));
  }
  const uint16_t qs = options.queue_size;
  if (qs < 2 || qs > 1024 || (qs & (qs - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("disk queue_size=%d: must be a power of 2 in 2..1024", qs));
  }
  if (options.size_max < kSectorSize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("disk size_max=%d: must be >= %d", options.size_max, kSectorSize));
  }
  if (options.io_depth != 0 && (options.io_depth < kMaxDiscardSeg || options.io_depth > 4096)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "disk io_depth=%d: must be 0 (auto) or %d..4096", options.io_depth, kMaxDiscardSeg));
  }
  absl::StatusOr<DiskImage> image =
      DiskImage::Open(options.path, options.read_only, options.cache_mode);
  if (!image.ok()) return image.status();

  std::unique_ptr<BlockDevice> dev(new BlockDevice(options, std::move(*image)));
  // Every queue can fill up at once; discards use up to kMaxDiscardSeg SQEs.
  const unsigned entries =
      options.io_depth != 0
          ? options.io_depth
          : std::min<unsigned>(4096, std::max<unsigned>(64, unsigned{qs} * options.num_queues));
  absl::StatusOr<std::unique_ptr<UringEngine>> engine = UringEngine::Create(entries);
  if (!engine.ok()) return engine.status();
  dev->engine_ = std::move(*engine);
  for (uint16_t i = 0; i < options.num_queues; ++i) {
    Fd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!fd) return ErrnoStatus("eventfd for a virtio-blk queue kick");
    dev->kick_fds_.push_back(std::move(fd));
  }
  dev->stop_fd_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!dev->stop_fd_) return ErrnoStatus("eventfd for virtio-blk stop");

  const bool ro = options.read_only;
  uint64_t f = Bit(kFVersion1) | Bit(kFIndirectDesc) | Bit(kFEventIdx) | Bit(kBlkFSizeMax) |
               Bit(kBlkFSegMax) | Bit(kBlkFBlkSize) | Bit(kBlkFFlush);
  if (ro) f |= Bit(kBlkFRo);
  if (!ro) f |= Bit(kBlkFDiscard) | Bit(kBlkFWriteZeroes);
  if (options.num_queues > 1) f |= Bit(kBlkFMq);
  dev->features_ = f;

  BlkLimits& l = dev->limits_;
  l.capacity_sectors = dev->image_.sectors();
  // The driver needs two descriptors for header and status (§5.2.4); iovec
  // arrays are also capped by IOV_MAX (1024).
  l.seg_max = std::min<uint32_t>(qs - 2, IOV_MAX);
  l.size_max = options.size_max;
  l.read_only = ro;
  l.max_discard_seg = kMaxDiscardSeg;
  l.max_discard_sectors = kMaxDiscardSectors;
  l.max_write_zeroes_seg = kMaxDiscardSeg;
  l.max_write_zeroes_sectors = kMaxDiscardSectors;

  BlkConfig& c = dev->config_;
  c.capacity = l.capacity_sectors;
  c.size_max = l.size_max;
  c.seg_max = l.seg_max;
  c.blk_size = kSectorSize;
  c.writeback = options.cache_mode == CacheMode::kUnsafe ? 0 : 1;
  c.num_queues = options.num_queues;
  c.max_discard_sectors = kMaxDiscardSectors;
  c.max_discard_seg = kMaxDiscardSeg;
  c.discard_sector_alignment = 1;
  c.max_write_zeroes_sectors = kMaxDiscardSectors;
  c.max_write_zeroes_seg = kMaxDiscardSeg;
  c.write_zeroes_may_unmap = 1;

  Log(LogLevel::kInfo, "virtio_blk", "disk_opened",
      {{"path", options.path},
       {"sectors", absl::StrFormat("%d", l.capacity_sectors)},
       {"read_only", ro ? "true" : "false"},
       {"cache", std::string(CacheModeName(options.cache_mode))},
       {"queues", absl::StrFormat("%d", options.num_queues)}});
  return dev;
}

BlockDevice::~BlockDevice() { Reset(); }

uint32_t BlockDevice::device_id() const { return kDeviceIdBlock; }

void BlockDevice::ReadConfig(uint32_t offset, absl::Span<uint8_t> data) const {
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(&config_);
  for (size_t i = 0; i < data.size(); ++i) {
    const uint64_t at = uint64_t{offset} + i;
    data[i] = at < sizeof(config_) ? bytes[at] : 0;
  }
}

void BlockDevice::WriteConfig(uint32_t /*offset*/, absl::Span<const uint8_t> /*data*/) {
  // Only `writeback` is driver-writable, and only with VIRTIO_BLK_F_CONFIG_WCE,
  // which is not offered: the cache mode comes from the VM spec.
}

absl::Status BlockDevice::Activate(Activation activation) {
  if (worker_ != nullptr) return absl::FailedPreconditionError("virtio-blk: already active");
  if (activation.queues.empty()) {
    return absl::InvalidArgumentError("virtio-blk: activated with no ready queue");
  }
  for (const ActiveQueue& q : activation.queues) {
    if (q.index >= options_.num_queues) {
      return absl::InvalidArgumentError(
          absl::StrFormat("virtio-blk: queue index=%d >= %d", q.index, options_.num_queues));
    }
  }
  BlockWorker::Setup setup;
  setup.activation = std::move(activation);
  setup.image = &image_;
  setup.engine = engine_.get();
  setup.limits = limits_;
  setup.serial = options_.serial;
  for (const Fd& fd : kick_fds_) setup.kick_fds.push_back(fd.get());
  setup.stop_fd = stop_fd_.get();
  setup.counters = &counters_;
  setup.first_id = next_request_id_;
  worker_ = std::make_unique<BlockWorker>(std::move(setup));
  BlockWorker* w = worker_.get();
  thread_ = std::thread([w] { w->Run(); });
  return absl::OkStatus();
}

void BlockDevice::Notify(uint16_t index) {
  if (index >= kick_fds_.size()) return;
  const uint64_t one = 1;
  (void)!::write(kick_fds_[index].get(), &one, sizeof(one));
}

void BlockDevice::Reset() {
  if (worker_ == nullptr) return;
  const uint64_t one = 1;
  (void)!::write(stop_fd_.get(), &one, sizeof(one));
  thread_.join();
  next_request_id_ = worker_->next_id();
  worker_.reset();
  uint64_t v;
  (void)!::read(stop_fd_.get(), &v, sizeof(v));
  for (const Fd& fd : kick_fds_) (void)!::read(fd.get(), &v, sizeof(v));
}

}  // namespace virtio
}  // namespace vmm
