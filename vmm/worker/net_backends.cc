#include "vmm/worker/net_backends.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/log.h"

namespace vmm::worker {
namespace {

constexpr char kVsockSocket[] = "vsock.sock";

std::string Basename(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Opens a capture target. A FIFO is opened O_NONBLOCK (fails at once with
// ENXIO if nobody reads) and then made blocking, as PcapWriter expects.
absl::StatusOr<Fd> OpenCaptureTarget(const std::string& path) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600));
  if (!fd) return ErrnoStatus(absl::StrCat("capture file ", path));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(absl::StrCat("fstat ", path));
  if (S_ISREG(st.st_mode) && ::ftruncate(fd.get(), 0) != 0) {
    return ErrnoStatus(absl::StrCat("truncating capture file ", path));
  }
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return ErrnoStatus(absl::StrCat("fcntl ", path));
  }
  return fd;
}

}  // namespace

std::string NetBackends::GeneratedTapName(const std::string& vm_id, uint32_t index) {
  return absl::StrCat("vm", vm_id.substr(0, 8), "n", index);
}

absl::StatusOr<std::unique_ptr<NetBackends>> NetBackends::Open(const std::string& vm_dir,
                                                               MachineSpec* spec) {
  std::unique_ptr<NetBackends> b(new NetBackends());
  const std::string vm_id = spec->vm_id.empty() ? Basename(vm_dir) : spec->vm_id;
  for (size_t i = 0; i < spec->nics.size(); ++i) {
    NicConfig& nic = spec->nics[i];
    virtio::TapOptions o;
    o.nic_index = static_cast<uint32_t>(i);
    o.num_queues = static_cast<uint16_t>(nic.num_queue_pairs);
    if (nic.tap.empty()) {
      o.name = GeneratedTapName(vm_id, o.nic_index);
      o.mode = virtio::TapOptions::Mode::kCreate;
    } else {
      o.name = nic.tap;
      o.mode = virtio::TapOptions::Mode::kAttach;
    }
    absl::StatusOr<virtio::Tap> tap = virtio::Tap::Open(o);
    if (!tap.ok()) {
      // The taps opened so far close with `b`: created ones disappear.
      return absl::Status(tap.status().code(),
                          absl::StrCat("spec.nics[", i, "]: ", tap.status().message()));
    }
    nic.tap = tap->name();
    nic.tap_fds.clear();
    for (uint16_t q = 0; q < tap->num_queues(); ++q) nic.tap_fds.push_back(tap->fd(q));
    b->taps_.push_back(std::move(tap).value());
  }
  if (spec->has_vsock && spec->vsock.uds_path.empty()) {
    spec->vsock.uds_path = absl::StrCat(vm_dir, "/", kVsockSocket);
  }
  b->has_vsock_ = spec->has_vsock;
  absl::MutexLock lock(&b->mu_);
  b->nics_ = spec->nics;
  return b;
}

MachineSpec NetBackends::ForNextMachine(const MachineSpec& spec) const {
  MachineSpec out = spec;
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < out.nics.size() && i < nics_.size(); ++i) {
    out.nics[i].rx_rate_limit = nics_[i].rx_rate_limit;
    out.nics[i].tx_rate_limit = nics_[i].tx_rate_limit;
  }
  return out;
}

void NetBackends::AttachTo(Machine* machine) const {
  std::shared_ptr<virtio::PcapWriter> capture;
  {
    absl::MutexLock lock(&mu_);
    capture = capture_;
  }
  if (capture == nullptr) return;
  absl::Status s = machine->SetVsockCapture(capture);
  if (!s.ok()) {
    Log(LogLevel::kWarning, "worker", "capture_reattach_failed",
        {{"error", std::string(s.message())}});
  }
}

absl::Status NetBackends::UpdateNic(uint32_t index, const RateLimitConfig& rx,
                                    const RateLimitConfig& tx, Machine* current) {
  {
    absl::MutexLock lock(&mu_);
    if (index >= nics_.size()) {
      return absl::InvalidArgumentError(absl::StrCat("nic_index=", index, ": the VM has ",
                                                     nics_.size(), " NIC(s)"));
    }
    nics_[index].rx_rate_limit = rx;
    nics_[index].tx_rate_limit = tx;
  }
  if (current == nullptr) return absl::OkStatus();
  return current->SetNicRateLimit(index, rx, tx);
}

absl::Status NetBackends::StartCapture(const std::string& path, Machine* current) {
  if (!has_vsock_) {
    return absl::FailedPreconditionError("the VM has no vsock device (spec.vsock is not set)");
  }
  absl::StatusOr<Fd> fd = OpenCaptureTarget(path);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<std::unique_ptr<virtio::PcapWriter>> w =
      virtio::PcapWriter::FromFd(std::move(fd).value());
  if (!w.ok()) return w.status();
  std::shared_ptr<virtio::PcapWriter> writer(std::move(w).value());
  {
    absl::MutexLock lock(&mu_);
    capture_ = writer;
  }
  if (current == nullptr) return absl::OkStatus();
  return current->SetVsockCapture(writer);
}

absl::Status NetBackends::StopCapture(Machine* current) {
  {
    absl::MutexLock lock(&mu_);
    capture_.reset();
  }
  if (current == nullptr || !has_vsock_) return absl::OkStatus();
  return current->SetVsockCapture(nullptr);
}

}  // namespace vmm::worker
