#ifndef VMM_MACHINE_X86_MSIX_IRQFD_H_
#define VMM_MACHINE_X86_MSIX_IRQFD_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accel/kvm/kvm_eventfds.h"
#include "devices/virtio/pci/pci_function.h"
#include "vmm/machine/x86/gsi_router.h"

namespace vmm {

// One PCI function's MSI-X vectors on KVM: vector i owns a GSI from the
// GsiRouter and an eventfd bound to it with KVM_IRQFD. When the function
// says a vector is deliverable, its GSI gets an MSI route to the vector's
// message if that is a valid xAPIC message, and none otherwise. Masking
// (not deliverable) leaves the last route in KVM, so that an interrupt
// signalled just before the mask is still delivered (see Route()); the
// function gates Signal() on deliverability and latches PBA itself.
// Signal() is an eventfd write: the kernel injects, no ioctl on the device
// thread.
class KvmMsixVectors : public pci::MsixVectorSink {
 public:
  // `router` must outlive this object; `name` names the device in logs.
  static absl::StatusOr<std::shared_ptr<KvmMsixVectors>> Create(int vm_fd, GsiRouter* router,
                                                                uint16_t entries,
                                                                std::string name);

  // An xAPIC MSI message (Intel SDM vol. 3 §11.11 / 10.11): address
  // 0xFEExxxxx with the high half 0, vector (data bits 7:0) 16..255.
  static bool ValidMessage(uint64_t address, uint32_t data);

  void Route(uint16_t vector, uint64_t address, uint32_t data, bool deliverable) override;
  void Signal(uint16_t vector) override;

  uint16_t entries() const { return static_cast<uint16_t>(vectors_.size()); }
  uint32_t gsi(uint16_t vector) const { return vectors_[vector].irqfd->gsi(); }
  // Deliverable, and KVM routes its GSI to the current message.
  bool routed(uint16_t vector) const { return vectors_[vector].live.load(); }
  // Messages refused (bad address or vector) and signals dropped because
  // their vector had no route.
  int refused_routes() const { return refused_routes_.load(); }
  int dropped_signals() const { return dropped_signals_.load(); }

 private:
  struct Vector {
    std::unique_ptr<KvmIrqfd> irqfd;
    std::atomic<bool> live{false};  // Deliverable, routed to its message.
  };
  KvmMsixVectors(GsiRouter* router, uint16_t entries, std::string name)
      : router_(router), name_(std::move(name)), vectors_(entries) {}

  GsiRouter* const router_;
  const std::string name_;
  std::vector<Vector> vectors_;
  std::atomic<int> refused_routes_{0};
  std::atomic<int> dropped_signals_{0};
};

}  // namespace vmm

#endif  // VMM_MACHINE_X86_MSIX_IRQFD_H_
