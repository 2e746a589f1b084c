#include "vmm/machine/x86/pci_devices.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <atomic>
#include <cerrno>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/log.h"
#include "vmm/base/status_macros.h"
#include "vmm/machine/accel_irq_line.h"

namespace vmm {
namespace {

// KVM_IOEVENTFD on an eventfd we do not own (the device's kick fd), MMIO,
// 2-byte writes of `datamatch` (Linux's vp_notify: iowrite16(queue index)).
// Other writes to the address still exit to the transport. RAII.
class KickIoeventfd {
 public:
  static absl::StatusOr<std::unique_ptr<KickIoeventfd>> Create(int vm_fd, uint64_t addr, int fd,
                                                               uint16_t datamatch) {
    kvm_ioeventfd req = Request(addr, fd, datamatch);
    if (::ioctl(vm_fd, KVM_IOEVENTFD, &req) < 0) {
      return ErrnoStatus(absl::StrFormat("KVM_IOEVENTFD mmio addr=0x%x len=2", addr));
    }
    return std::unique_ptr<KickIoeventfd>(new KickIoeventfd(vm_fd, addr, fd, datamatch));
  }
  ~KickIoeventfd() {
    kvm_ioeventfd req = Request(addr_, fd_, datamatch_);
    req.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
    ::ioctl(vm_fd_, KVM_IOEVENTFD, &req);
  }

 private:
  KickIoeventfd(int vm_fd, uint64_t addr, int fd, uint16_t datamatch)
      : vm_fd_(vm_fd), addr_(addr), fd_(fd), datamatch_(datamatch) {}
  static kvm_ioeventfd Request(uint64_t addr, int fd, uint16_t datamatch) {
    kvm_ioeventfd req{};
    req.addr = addr;
    req.len = 2;
    req.fd = fd;
    req.datamatch = datamatch;
    req.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
    return req;
  }
  const int vm_fd_;
  const uint64_t addr_;
  const int fd_;
  const uint16_t datamatch_;
};

bool Overlaps(uint32_t offset, size_t size, uint32_t start, uint32_t end) {
  return offset < end && offset + size > start;
}

}  // namespace

// One virtio-pci function as the root sees it: forwards everything to the
// transport and, after a config write that can move BAR 0 or switch memory
// decoding (command register, BAR 0/1), re-binds the queue ioeventfds to
// the BAR's current address.
class X86PciDevices::Slot : public pci::PciFunction {
 public:
  Slot(int vm_fd, std::shared_ptr<virtio::VirtioPciTransport> transport, uint16_t num_queues,
       KickFdFn kick_fd)
      : vm_fd_(vm_fd),
        transport_(std::move(transport)),
        num_queues_(num_queues),
        kick_fd_(std::move(kick_fd)) {}
  ~Slot() override {
    absl::MutexLock lock(&mu_);
    kicks_.clear();  // Before the transport (and the device's kick fds) go.
  }

  void ConfigRead(uint32_t offset, absl::Span<uint8_t> data) override {
    transport_->ConfigRead(offset, data);
  }
  void ConfigWrite(uint32_t offset, absl::Span<const uint8_t> data) override {
    transport_->ConfigWrite(offset, data);
    if (Overlaps(offset, data.size(), 0x04, 0x06) || Overlaps(offset, data.size(), 0x10, 0x18)) {
      absl::Status status = Rebind();
      if (!status.ok()) {
        // Kicks still work through the transport (a vCPU exit each).
        Log(LogLevel::kWarning, "machine", "ioeventfd_rebind_failed",
            {{"error", std::string(status.message())}});
      }
    }
  }
  uint64_t BarAddress(int bar) const override { return transport_->BarAddress(bar); }
  uint64_t BarSize(int bar) const override { return transport_->BarSize(bar); }
  void BarRead(int bar, uint64_t offset, absl::Span<uint8_t> data) override {
    transport_->BarRead(bar, offset, data);
  }
  void BarWrite(int bar, uint64_t offset, absl::Span<const uint8_t> data) override {
    transport_->BarWrite(bar, offset, data);
  }

  // Binds each queue's kick fd at BAR 0 + notify offset (virtio 1.2
  // §4.1.4.4: cap.offset + queue_notify_off * notify_off_multiplier; our
  // queue_notify_off is the queue index). Nothing while BAR 0 is off.
  absl::Status Rebind() {
    absl::MutexLock lock(&mu_);
    const uint64_t base = transport_->BarAddress(0);
    if (base == bound_base_) return absl::OkStatus();
    kicks_.clear();
    bound_base_ = 0;
    if (base == 0) return absl::OkStatus();
    for (uint16_t q = 0; q < num_queues_; ++q) {
      const int fd = kick_fd_ ? kick_fd_(q) : -1;
      if (fd < 0) continue;
      const uint64_t addr =
          base + virtio::vpci::kNotifyCfg + uint64_t{virtio::vpci::kNotifyOffMultiplier} * q;
      absl::StatusOr<std::unique_ptr<KickIoeventfd>> kick =
          KickIoeventfd::Create(vm_fd_, addr, fd, q);
      if (!kick.ok()) {
        kicks_.clear();
        return kick.status();
      }
      kicks_.push_back(std::move(*kick));
    }
    bound_base_ = base;
    return absl::OkStatus();
  }

 private:
  const int vm_fd_;
  const std::shared_ptr<virtio::VirtioPciTransport> transport_;
  const uint16_t num_queues_;
  const KickFdFn kick_fd_;
  absl::Mutex mu_;
  uint64_t bound_base_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::unique_ptr<KickIoeventfd>> kicks_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::unique_ptr<X86PciDevices>> X86PciDevices::Create(KvmVm* vm,
                                                                     GuestMemory* memory,
                                                                     Bus* pio, Bus* mmio) {
  std::unique_ptr<X86PciDevices> pci(new X86PciDevices(vm, memory));
  const int vm_fd = vm->fd();
  pci->root_ = std::make_unique<pci::PciRoot>(kWindowBase, kWindowSize);
  ASSIGN_OR_RETURN(pci->router_, GsiRouter::Create(vm_fd));
  RETURN_IF_ERROR(pio->Register(kConfigPort, 8, pci->root_->ConfigIo()));
  RETURN_IF_ERROR(mmio->Register(kWindowBase, kWindowSize, pci->root_->MmioWindow()));
  RETURN_IF_ERROR(mmio->Register(kEcamBase, kEcamSize, pci->root_->Ecam()));
  return pci;
}

X86PciDevices::~X86PciDevices() = default;

absl::StatusOr<int> X86PciDevices::AttachVirtio(std::shared_ptr<virtio::VirtioDevice> device,
                                                const KickFdFn& kick_fd) {
  const int slot = static_cast<int>(slots_.size()) + 1;
  if (slot > 31) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("%s: PCI bus 0 is full (31 devices at most)", device->name()));
  }
  // KVM_IRQ_LINE on GSIs >= 16 drives only the IOAPIC pin.
  const uint32_t gsi = kFirstIntxGsi + static_cast<uint32_t>(slot - 1) % 8;
  const uint16_t num_queues = device->num_queues();
  ASSIGN_OR_RETURN(std::shared_ptr<KvmMsixVectors> msix,
                   KvmMsixVectors::Create(vm_->fd(), router_.get(),
                                          virtio::VirtioPciTransport::MsixEntriesFor(*device),
                                          std::string(device->name())));
  auto transport = std::make_shared<virtio::VirtioPciTransport>(
      std::move(device), memory_, msix, std::make_shared<AccelIrqLine>(vm_, gsi));
  const uint8_t line = static_cast<uint8_t>(gsi);
  transport->ConfigWrite(0x3c, absl::MakeConstSpan(&line, 1));
  auto fn = std::make_shared<Slot>(vm_->fd(), std::move(transport), num_queues, kick_fd);
  RETURN_IF_ERROR(root_->AddFunction(slot, fn));
  RETURN_IF_ERROR(fn->Rebind());
  slots_.push_back(std::move(fn));
  msix_.push_back(std::move(msix));
  return slot;
}

}  // namespace vmm
