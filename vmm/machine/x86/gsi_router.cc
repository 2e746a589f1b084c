#include "vmm/machine/x86/gsi_router.h"

#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"
#include "accel/kvm/kvm_abi.h"
#include "vmm/base/errno_status.h"

namespace vmm {
namespace {

kvm_irq_routing_entry IrqchipEntry(uint32_t gsi, uint32_t chip, uint32_t pin) {
  kvm_irq_routing_entry e{};
  e.gsi = gsi;
  e.type = KVM_IRQ_ROUTING_IRQCHIP;
  e.u.irqchip.irqchip = chip;
  e.u.irqchip.pin = pin;
  return e;
}

}  // namespace

std::vector<kvm_irq_routing_entry> GsiRouter::DefaultRoutes() {
  std::vector<kvm_irq_routing_entry> table;
  for (uint32_t gsi = 0; gsi < 24; ++gsi) {
    if (gsi < 16) {
      table.push_back(IrqchipEntry(
          gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE, gsi % 8));
    }
    table.push_back(IrqchipEntry(gsi, KVM_IRQCHIP_IOAPIC, gsi));
  }
  return table;
}

absl::StatusOr<std::unique_ptr<GsiRouter>> GsiRouter::Create(int vm_fd) {
  // On a VM fd, KVM_CHECK_EXTENSION(KVM_CAP_IRQ_ROUTING) is the table size
  // limit (KVM_MAX_IRQ_ROUTES).
  const int max_routes = ::ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);
  if (max_routes <= 0) {
    return absl::FailedPreconditionError("KVM lacks KVM_CAP_IRQ_ROUTING: cannot route MSI-X");
  }
  if (::ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0) {
    return absl::FailedPreconditionError("KVM lacks KVM_CAP_IRQFD: cannot route MSI-X");
  }
  return std::unique_ptr<GsiRouter>(new GsiRouter(vm_fd, static_cast<uint32_t>(max_routes)));
}

absl::StatusOr<uint32_t> GsiRouter::AllocateMsiGsi() {
  absl::MutexLock lock(&mu_);
  // Every GSI may need one entry on top of the defaults.
  const uint32_t defaults = static_cast<uint32_t>(DefaultRoutes().size());
  if (next_gsi_ >= max_routes_ || next_gsi_ - kFirstMsiGsi + defaults >= max_routes_) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "GSI %d: KVM routes at most %d entries; attach fewer devices or queues", next_gsi_,
        max_routes_));
  }
  return next_gsi_++;
}

absl::Status GsiRouter::SetMsiRoute(uint32_t gsi, uint64_t address, uint32_t data) {
  absl::MutexLock lock(&mu_);
  if (gsi < kFirstMsiGsi || gsi >= next_gsi_) {
    return absl::InvalidArgumentError(absl::StrFormat("GSI %d was not allocated for MSI", gsi));
  }
  kvm_irq_routing_msi msi{};
  msi.address_lo = static_cast<uint32_t>(address);
  msi.address_hi = static_cast<uint32_t>(address >> 32);
  msi.data = data;
  auto it = msi_routes_.find(gsi);
  if (it != msi_routes_.end() && std::memcmp(&it->second, &msi, sizeof(msi)) == 0) {
    return absl::OkStatus();
  }
  const bool had = it != msi_routes_.end();
  const kvm_irq_routing_msi old = had ? it->second : kvm_irq_routing_msi{};
  msi_routes_[gsi] = msi;
  absl::Status status = CommitLocked();
  if (!status.ok()) {
    // Keep our copy equal to what KVM holds.
    if (had) {
      msi_routes_[gsi] = old;
    } else {
      msi_routes_.erase(gsi);
    }
  }
  return status;
}

absl::Status GsiRouter::ClearRoute(uint32_t gsi) {
  absl::MutexLock lock(&mu_);
  auto it = msi_routes_.find(gsi);
  if (it == msi_routes_.end()) return absl::OkStatus();
  const kvm_irq_routing_msi old = it->second;
  msi_routes_.erase(it);
  absl::Status status = CommitLocked();
  if (!status.ok()) msi_routes_[gsi] = old;
  return status;
}

std::vector<kvm_irq_routing_entry> GsiRouter::TableLocked() const {
  std::vector<kvm_irq_routing_entry> table = DefaultRoutes();
  for (const auto& [gsi, msi] : msi_routes_) {
    kvm_irq_routing_entry e{};
    e.gsi = gsi;
    e.type = KVM_IRQ_ROUTING_MSI;
    e.u.msi = msi;
    table.push_back(e);
  }
  return table;
}

std::vector<kvm_irq_routing_entry> GsiRouter::Table() const {
  absl::MutexLock lock(&mu_);
  return TableLocked();
}

int GsiRouter::commits() const {
  absl::MutexLock lock(&mu_);
  return commits_;
}

absl::Status GsiRouter::CommitLocked() {
  const std::vector<kvm_irq_routing_entry> table = TableLocked();
  // kvm_irq_routing in the C layout (kvm_abi.h): {nr, flags = 0}, entries.
  std::vector<uint8_t> buf(kKvmIrqRoutingHeaderSize + table.size() * sizeof(table[0]), 0);
  const uint32_t nr = static_cast<uint32_t>(table.size());
  std::memcpy(buf.data(), &nr, sizeof(nr));
  std::memcpy(buf.data() + kKvmIrqRoutingHeaderSize, table.data(), table.size() * sizeof(table[0]));
  int r;
  do {
    r = ::ioctl(vm_fd_, kKvmSetGsiRouting, buf.data());
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_SET_GSI_ROUTING with %d entries", table.size()));
  }
  ++commits_;
  return absl::OkStatus();
}

}  // namespace vmm
