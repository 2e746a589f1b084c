#ifndef VMM_MACHINE_X86_GSI_ROUTER_H_
#define VMM_MACHINE_X86_GSI_ROUTER_H_

#include <linux/kvm.h>

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace vmm {

// One VM's KVM GSI routing table (KVM API doc 4.52 KVM_SET_GSI_ROUTING).
// That ioctl replaces the whole table, so this object owns it: the default
// routes KVM_CREATE_IRQCHIP installed (GSI 0..15 to the 8259 pair and the
// IOAPIC pin of the same number, 16..23 to the IOAPIC only; the legacy
// devices' KVM_IRQ_LINE calls rely on them) stay, and each MSI GSI handed
// out here carries at most one MSI route. Thread-safe.
class GsiRouter {
 public:
  // MSI GSIs start above the IOAPIC's 24 pins.
  static constexpr uint32_t kFirstMsiGsi = 24;

  // `vm_fd` (with its in-kernel irqchip) must outlive this object. Fails
  // if KVM lacks KVM_CAP_IRQ_ROUTING or KVM_CAP_IRQFD.
  static absl::StatusOr<std::unique_ptr<GsiRouter>> Create(int vm_fd);

  // A fresh GSI with no route yet (KVM_IRQFD may bind it already).
  absl::StatusOr<uint32_t> AllocateMsiGsi();

  // Routes `gsi` (from AllocateMsiGsi) to the MSI message (`address`,
  // `data`) and commits the table. The caller checks the message.
  absl::Status SetMsiRoute(uint32_t gsi, uint64_t address, uint32_t data);
  // Removes `gsi`'s route (no-op if none) and commits: writes to an irqfd
  // on it then inject nothing.
  absl::Status ClearRoute(uint32_t gsi);

  // The table as last committed (defaults first, then MSI routes by GSI).
  std::vector<kvm_irq_routing_entry> Table() const;
  // The table KVM_CREATE_IRQCHIP sets up on x86 (arch/x86/kvm/irq_comm.c,
  // default_routing[]).
  static std::vector<kvm_irq_routing_entry> DefaultRoutes();
  // KVM_SET_GSI_ROUTING calls so far (each one is a synchronize_srcu in
  // the kernel: this shows they happen only on real changes).
  int commits() const;

 private:
  GsiRouter(int vm_fd, uint32_t max_routes) : vm_fd_(vm_fd), max_routes_(max_routes) {}
  absl::Status CommitLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<kvm_irq_routing_entry> TableLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int vm_fd_;
  const uint32_t max_routes_;
  mutable absl::Mutex mu_;
  uint32_t next_gsi_ ABSL_GUARDED_BY(mu_) = kFirstMsiGsi;
  std::map<uint32_t, kvm_irq_routing_msi> msi_routes_ ABSL_GUARDED_BY(mu_);
  int commits_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vmm

#endif  // VMM_MACHINE_X86_GSI_ROUTER_H_
