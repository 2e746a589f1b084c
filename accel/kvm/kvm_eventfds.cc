#include "accel/kvm/kvm_eventfds.h"

#include <linux/kvm.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_format.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/log.h"

namespace vmm {

absl::StatusOr<std::unique_ptr<KvmIrqfd>> KvmIrqfd::Create(int vm_fd, uint32_t gsi) {
  Fd event(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!event) return ErrnoStatus("eventfd for irqfd");
  kvm_irqfd req{};
  req.fd = static_cast<uint32_t>(event.get());
  req.gsi = gsi;
  if (::ioctl(vm_fd, KVM_IRQFD, &req) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_IRQFD gsi=%d", gsi));
  }
  return std::unique_ptr<KvmIrqfd>(new KvmIrqfd(vm_fd, gsi, std::move(event)));
}

KvmIrqfd::~KvmIrqfd() {
  kvm_irqfd req{};
  req.fd = static_cast<uint32_t>(event_.get());
  req.gsi = gsi_;
  req.flags = KVM_IRQFD_FLAG_DEASSIGN;
  ::ioctl(vm_fd_, KVM_IRQFD, &req);
}

void KvmIrqfd::SetLevel(bool high) {
  if (high) Trigger();
}

void KvmIrqfd::Trigger() {
  uint64_t one = 1;
  // EAGAIN means the counter is saturated: an interrupt is pending anyway.
  if (::write(event_.get(), &one, sizeof(one)) < 0 && errno != EAGAIN) {
    Log(LogLevel::kError, "kvm", "irqfd_write_failed",
        {{"gsi", absl::StrFormat("%d", gsi_)},
         {"error", std::string(ErrnoStatus("write").message())}});
  }
}

uint32_t KvmIoeventfd::Flags() const {
  uint32_t flags = 0;
  if (space_ == Space::kPio) flags |= KVM_IOEVENTFD_FLAG_PIO;
  if (datamatch_.has_value()) flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
  return flags;
}

absl::StatusOr<std::unique_ptr<KvmIoeventfd>> KvmIoeventfd::Create(
    int vm_fd, Space space, uint64_t addr, uint32_t len, std::optional<uint64_t> datamatch) {
  if (len != 0 && len != 1 && len != 2 && len != 4 && len != 8) {
    return absl::InvalidArgumentError(
        absl::StrFormat("ioeventfd len=%d: must be 0, 1, 2, 4 or 8", len));
  }
  std::unique_ptr<KvmIoeventfd> io(new KvmIoeventfd());
  io->vm_fd_ = vm_fd;
  io->space_ = space;
  io->addr_ = addr;
  io->len_ = len;
  io->datamatch_ = datamatch;
  io->event_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!io->event_) return ErrnoStatus("eventfd for ioeventfd");
  kvm_ioeventfd req{};
  req.addr = addr;
  req.len = len;
  req.fd = io->event_.get();
  req.datamatch = datamatch.value_or(0);
  req.flags = io->Flags();
  if (::ioctl(vm_fd, KVM_IOEVENTFD, &req) < 0) {
    io->vm_fd_ = -1;  // Nothing to deassign.
    return ErrnoStatus(absl::StrFormat("KVM_IOEVENTFD %s addr=0x%x len=%d",
                                       space == Space::kPio ? "pio" : "mmio", addr, len));
  }
  return io;
}

KvmIoeventfd::~KvmIoeventfd() {
  if (vm_fd_ < 0) return;
  kvm_ioeventfd req{};
  req.addr = addr_;
  req.len = len_;
  req.fd = event_.get();
  req.datamatch = datamatch_.value_or(0);
  req.flags = Flags() | KVM_IOEVENTFD_FLAG_DEASSIGN;
  ::ioctl(vm_fd_, KVM_IOEVENTFD, &req);
}

uint64_t KvmIoeventfd::Consume() {
  uint64_t count = 0;
  if (::read(event_.get(), &count, sizeof(count)) != sizeof(count)) return 0;
  return count;
}

}  // namespace vmm
