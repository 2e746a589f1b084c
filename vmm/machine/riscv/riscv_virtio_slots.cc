#include "vmm/machine/riscv/riscv_virtio_slots.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "devices/virtio/mmio/mmio_transport.h"
#include "vmm/base/status_macros.h"
#include "vmm/fdt/riscv_virt_fdt.h"

namespace vmm {
namespace {

namespace rv = riscv_virt;

// A virtio-mmio slot without a device, as QEMU's `virt` has them: the magic
// and version read back and DeviceID is 0, which drivers skip (virtio 1.2
// §4.2.3.1.1); everything else reads 0 and writes are ignored.
class EmptyVirtioSlot : public BusDevice {
 public:
  absl::string_view name() const override { return "virtio-mmio-empty"; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override {
    uint32_t v = 0;
    if (offset == virtio::mmio::kMagicValue) v = virtio::mmio::kMagic;
    if (offset == virtio::mmio::kVersion) v = 2;
    if (offset == virtio::mmio::kVendorId) v = virtio::mmio::kVendor;
    for (size_t i = 0; i < data.size(); ++i) data[i] = i < 4 ? static_cast<uint8_t>(v >> (8 * i)) : 0;
  }
  void Write(uint64_t, absl::Span<const uint8_t>) override {}
};

uint64_t SlotBase(size_t slot) { return rv::kVirtioBase + rv::kVirtioStride * slot; }

}  // namespace

absl::Status RiscvVirtioSlots::CheckCount(const MachineSpec& spec) {
  const size_t wanted = spec.disks.size() + spec.nics.size() + (spec.has_vsock ? 1 : 0);
  if (wanted > static_cast<size_t>(rv::kVirtioCount)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "disks+nics+vsock: %d disk(s), %d NIC(s) and %d vsock device given, the riscv64 virt "
        "machine has %d virtio-mmio slots; remove %d of them",
        spec.disks.size(), spec.nics.size(), spec.has_vsock ? 1 : 0, rv::kVirtioCount,
        wanted - rv::kVirtioCount));
  }
  return absl::OkStatus();
}

absl::Status RiscvVirtioSlots::Attach(std::shared_ptr<virtio::VirtioDevice> device,
                                      const std::string& what) {
  const size_t slot = transports_.size();
  if (slot >= static_cast<size_t>(rv::kVirtioCount)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        what, ": all ", rv::kVirtioCount, " virtio-mmio slots of the riscv64 virt machine are used"));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<InterruptLine> irq,
                   plic_->Input(rv::kVirtioIrqBase + static_cast<uint32_t>(slot)));
  auto transport = std::make_shared<virtio::VirtioMmioTransport>(std::move(device), memory_, irq);
  RETURN_IF_ERROR(bus_->Register(SlotBase(slot), virtio::mmio::kWindowSize, transport));
  transports_.push_back(std::move(transport));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::shared_ptr<BusDevice>>> RiscvVirtioSlots::Finish() {
  for (size_t i = transports_.size(); i < static_cast<size_t>(rv::kVirtioCount); ++i) {
    RETURN_IF_ERROR(bus_->Register(SlotBase(i), virtio::mmio::kWindowSize,
                                   std::make_shared<EmptyVirtioSlot>()));
  }
  return std::move(transports_);
}

}  // namespace vmm
