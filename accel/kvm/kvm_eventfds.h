#ifndef ACCEL_KVM_KVM_EVENTFDS_H_
#define ACCEL_KVM_KVM_EVENTFDS_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "devices/irq/interrupt_line.h"
#include "vmm/base/fd.h"

namespace vmm {

// An eventfd bound to a GSI with KVM_IRQFD: each write to it injects an
// edge on that GSI inside the kernel, from any thread, without an ioctl on
// the VM fd (KVM API docs, 4.75 KVM_IRQFD). Deassigned on destruction.
// Level-triggered sources need the resample variant, which is not provided
// yet: use KvmVm::SetIrqLine for those (the 16550 does).
class KvmIrqfd : public InterruptLine {
 public:
  static absl::StatusOr<std::unique_ptr<KvmIrqfd>> Create(int vm_fd, uint32_t gsi);
  ~KvmIrqfd() override;

  // Rising edge: inject. Falling edge: nothing (edge semantics).
  void SetLevel(bool high) override;
  void Pulse() override { Trigger(); }
  void Trigger();

  int eventfd() const { return event_.get(); }
  uint32_t gsi() const { return gsi_; }

 private:
  KvmIrqfd(int vm_fd, uint32_t gsi, Fd event)
      : vm_fd_(vm_fd), gsi_(gsi), event_(std::move(event)) {}
  const int vm_fd_;
  const uint32_t gsi_;
  Fd event_;
};

// An eventfd signalled by KVM when the guest writes to a PIO port or MMIO
// address, instead of a userspace exit (KVM API docs, 4.59 KVM_IOEVENTFD):
// the fast path for virtio queue notifications. Deassigned on destruction.
class KvmIoeventfd {
 public:
  enum class Space { kPio, kMmio };
  // `len` is the access size to match (1, 2, 4, 8; 0 = any). With
  // `datamatch`, only writes of exactly that value signal.
  static absl::StatusOr<std::unique_ptr<KvmIoeventfd>> Create(
      int vm_fd, Space space, uint64_t addr, uint32_t len,
      std::optional<uint64_t> datamatch = std::nullopt);
  ~KvmIoeventfd();

  int eventfd() const { return event_.get(); }
  // Reads and resets the counter: the number of matching writes since the
  // last call (0 if none; never blocks).
  uint64_t Consume();

 private:
  KvmIoeventfd() = default;
  uint32_t Flags() const;

  int vm_fd_ = -1;
  Space space_ = Space::kPio;
  uint64_t addr_ = 0;
  uint32_t len_ = 0;
  std::optional<uint64_t> datamatch_;
  Fd event_;
};

}  // namespace vmm

#endif  // ACCEL_KVM_KVM_EVENTFDS_H_
