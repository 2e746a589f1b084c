#include "vmm/machine/x86/msix_irqfd.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "vmm/base/log.h"
#include "vmm/base/status_macros.h"

namespace vmm {

absl::StatusOr<std::shared_ptr<KvmMsixVectors>> KvmMsixVectors::Create(int vm_fd,
                                                                       GsiRouter* router,
                                                                       uint16_t entries,
                                                                       std::string name) {
  std::shared_ptr<KvmMsixVectors> v(new KvmMsixVectors(router, entries, std::move(name)));
  for (Vector& vec : v->vectors_) {
    ASSIGN_OR_RETURN(uint32_t gsi, router->AllocateMsiGsi());
    ASSIGN_OR_RETURN(vec.irqfd, KvmIrqfd::Create(vm_fd, gsi));
  }
  return v;
}

bool KvmMsixVectors::ValidMessage(uint64_t address, uint32_t data) {
  return (address >> 20) == 0xfee && (data & 0xff) >= 16;
}

void KvmMsixVectors::Route(uint16_t vector, uint64_t address, uint32_t data, bool deliverable) {
  if (vector >= vectors_.size()) return;
  Vector& v = vectors_[vector];
  const uint32_t gsi = v.irqfd->gsi();
  // `live` follows what KVM holds; the function calls Route() and
  // Signal() under one lock, so a signal never sees a half-made change.
  if (!deliverable) {
    // Masked (or MSI-X off): the function latches PBA and calls no
    // Signal(), but KVM keeps the last route. A signal written just before
    // the mask may still sit in KVM's deferred irqfd_inject work, which
    // reads the GSI's route only when it runs (virt/kvm/eventfd.c);
    // removing the route here lost that interrupt for good (issue 4). It
    // also spares a KVM_SET_GSI_ROUTING (synchronize_srcu) per mask and
    // unmask, and never installs the half-written message Linux writes
    // dword by dword while masked: the route changes on unmask.
    v.live.store(false);
    return;
  }
  absl::Status status;
  if (ValidMessage(address, data)) {
    status = router_->SetMsiRoute(gsi, address, data);  // No commit if unchanged.
    v.live.store(status.ok());
  } else {
    // A guest bug or attack: no route, so signals on this vector go
    // nowhere until the driver writes a real message.
    if (refused_routes_.fetch_add(1) < 5) {
      Log(LogLevel::kWarning, "machine", "msix_message_refused",
          {{"device", name_},
           {"vector", absl::StrFormat("%d", vector)},
           {"address", absl::StrFormat("0x%x", address)},
           {"data", absl::StrFormat("0x%x", data)},
           {"why", "MSI address must be 0xFEExxxxx and vector 16..255"}});
    }
    v.live.store(false);
    status = router_->ClearRoute(gsi);
  }
  if (!status.ok()) {
    Log(LogLevel::kError, "machine", "msix_route_failed",
        {{"device", name_},
         {"vector", absl::StrFormat("%d", vector)},
         {"gsi", absl::StrFormat("%d", gsi)},
         {"error", std::string(status.message())}});
  }
}

void KvmMsixVectors::Signal(uint16_t vector) {
  if (vector >= vectors_.size() || !vectors_[vector].live.load()) {
    dropped_signals_.fetch_add(1);
    return;
  }
  vectors_[vector].irqfd->Trigger();
}

}  // namespace vmm
