#include "tests/virtio/blk_fixture.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_format.h"

namespace vmm {
namespace virtio {
namespace testing {

TempImage TempImage::Create(uint64_t bytes, const char* in_dir) {
  const char* dir = in_dir != nullptr ? in_dir : getenv("TEST_TMPDIR");
  std::string tmpl = absl::StrFormat("%s/blkimgXXXXXX", dir ? dir : "/tmp");
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  int fd = ::mkstemp(buf.data());
  std::vector<uint8_t> chunk(1 << 16);
  for (uint64_t off = 0; off < bytes; off += chunk.size()) {
    const uint64_t n = std::min<uint64_t>(chunk.size(), bytes - off);
    for (uint64_t i = 0; i < n; ++i) chunk[i] = Pattern(off + i);
    (void)!::pwrite(fd, chunk.data(), n, static_cast<off_t>(off));
  }
  ::close(fd);
  return TempImage(std::string(buf.data()));
}

TempImage::~TempImage() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

std::vector<uint8_t> TempImage::ReadAt(uint64_t offset, uint64_t len) const {
  std::vector<uint8_t> out(len);
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  (void)!::pread(fd, out.data(), len, static_cast<off_t>(offset));
  ::close(fd);
  return out;
}

absl::StatusOr<std::unique_ptr<BlkRig>> BlkRig::Create(const BlockDeviceOptions& options,
                                                       uint64_t wanted_features,
                                                       uint16_t queue_size) {
  std::unique_ptr<BlkRig> rig(new BlkRig());
  absl::StatusOr<std::unique_ptr<GuestMemory>> mem =
      GuestMemory::Create({{GuestAddress(0), 64ull << 20}});
  if (!mem.ok()) return mem.status();
  rig->memory_ = std::move(*mem);
  absl::StatusOr<std::unique_ptr<BlockDevice>> dev = BlockDevice::Create(options);
  if (!dev.ok()) return dev.status();
  rig->device_ = std::move(*dev);
  rig->irq_ = std::make_shared<WaitableIrq>();
  rig->transport_ =
      std::make_unique<VirtioMmioTransport>(rig->device_, rig->memory_.get(), rig->irq_);
  rig->driver_ = std::make_unique<GuestDriver>(rig->memory_.get(), rig->transport_.get(),
                                               GuestAddress(0x1000));
  rig->wanted_ = wanted_features;
  rig->queue_size_ = queue_size;
  absl::Status s = rig->Reinit();
  if (!s.ok()) return s;
  return rig;
}

BlkRig::~BlkRig() {
  // Stop the device before guest memory goes.
  transport_.reset();
}

absl::Status BlkRig::Reinit() {
  absl::StatusOr<uint64_t> f = driver_->Negotiate(wanted_);
  if (!f.ok()) return f.status();
  features_ = *f;
  for (uint16_t q = 0; q < device_->num_queues(); ++q) {
    absl::Status s = driver_->SetupQueue(q, queue_size_);
    if (!s.ok()) return s;
  }
  driver_->DriverOk();
  if (!(driver_->status() & 4)) return absl::InternalError("DRIVER_OK did not stick");
  return absl::OkStatus();
}

BlkRig::Pending BlkRig::Queue(uint16_t q, uint32_t type, uint64_t sector,
                              const std::vector<uint8_t>& out, uint32_t in_len, bool indirect) {
  BlkReqHeader hdr{type, 0, sector};
  GuestAddress h = driver_->Alloc(sizeof(hdr));
  (void)memory_->WriteObj(h, hdr);
  std::vector<Buf> bufs{{h, sizeof(hdr), false}};
  if (!out.empty()) {
    GuestAddress d = driver_->Alloc(out.size(), 4096);
    (void)memory_->Write(d, out);
    bufs.push_back({d, static_cast<uint32_t>(out.size()), false});
  }
  Pending p{};
  if (in_len > 0) {
    p.data = driver_->Alloc(in_len, 4096);
    p.in_len = in_len;
    bufs.push_back({p.data, in_len, true});
  }
  p.status = driver_->Alloc(1, 1);
  (void)memory_->WriteObj(p.status, uint8_t{0xff});
  bufs.push_back({p.status, 1, true});
  p.head = driver_->AddChain(q, bufs, indirect);
  return p;
}

BlkReply BlkRig::Finish(uint16_t q, const Pending& p) {
  BlkReply r;
  absl::StatusOr<VirtqUsedElem> e = driver_->WaitUsed(q);
  if (!e.ok()) return r;
  r.used_len = e->len;
  r.status = memory_->ReadObj<uint8_t>(p.status).value_or(0xfe);
  if (p.in_len > 0) {
    r.data.resize(p.in_len);
    (void)memory_->Read(p.data, absl::Span<uint8_t>(r.data));
  }
  return r;
}

BlkReply BlkRig::Do(uint16_t q, uint32_t type, uint64_t sector, const std::vector<uint8_t>& out,
                    uint32_t in_len, bool indirect) {
  Pending p = Queue(q, type, sector, out, in_len, indirect);
  driver_->Kick(q);
  return Finish(q, p);
}

}  // namespace testing
}  // namespace virtio
}  // namespace vmm
