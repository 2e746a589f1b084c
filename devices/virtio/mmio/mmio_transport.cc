#include "devices/virtio/mmio/mmio_transport.h"

#include <cstring>
#include <utility>

#include "devices/virtio/core/virtio_spec.h"

namespace vmm {
namespace virtio {

using namespace mmio;  // NOLINT: register names read best unqualified here.

namespace {
void SetHigh(uint64_t* field, uint32_t v) {
  *field = (*field & 0xffffffffull) | (uint64_t{v} << 32);
}
void SetLow(uint64_t* field, uint32_t v) { *field = (*field & ~0xffffffffull) | v; }
}  // namespace

VirtioMmioTransport::VirtioMmioTransport(std::shared_ptr<VirtioDevice> device, GuestMemory* memory,
                                         std::shared_ptr<InterruptLine> irq)
    : device_(std::move(device)), irq_(std::move(irq)), core_(device_.get(), memory, this) {}

VirtioMmioTransport::~VirtioMmioTransport() {
  // Stop the device's worker before the link (this) goes away.
  device_->Reset();
}

void VirtioMmioTransport::Read(uint64_t offset, absl::Span<uint8_t> data) {
  absl::MutexLock lock(&mu_);
  if (offset >= kConfig) {
    const uint64_t off = offset - kConfig;
    const uint32_t size = device_->config_size();
    std::memset(data.data(), 0, data.size());
    if (off < size && data.size() <= size - off) {
      device_->ReadConfig(static_cast<uint32_t>(off), data);
    }
    return;
  }
  uint32_t value = 0;
  if (data.size() == 4 && offset % 4 == 0) value = ReadRegister(offset);
  std::memset(data.data(), 0, data.size());
  std::memcpy(data.data(), &value, std::min<size_t>(data.size(), 4));
}

void VirtioMmioTransport::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  bool reset = false;
  {
    absl::MutexLock lock(&mu_);
    if (offset >= kConfig) {
      const uint64_t off = offset - kConfig;
      const uint32_t size = device_->config_size();
      if (off < size && data.size() <= size - off) {
        device_->WriteConfig(static_cast<uint32_t>(off), data);
      }
      return;
    }
    if (data.size() != 4 || offset % 4 != 0) return;
    uint32_t value;
    std::memcpy(&value, data.data(), 4);
    if (offset == kStatus) {
      reset = core_.WriteStatus(static_cast<uint8_t>(value));
      if (reset) {
        device_features_sel_ = driver_features_sel_ = queue_sel_ = 0;
      }
    } else {
      WriteRegister(offset, value);
    }
  }
  // §4.2.2.1: reset clears the interrupt status too.
  if (reset) ClearInterrupt(~0u);
}

uint32_t VirtioMmioTransport::ReadRegister(uint64_t offset) {
  QueueConfig* q = core_.queue(queue_sel_);
  switch (offset) {
    case kMagicValue:
      return kMagic;
    case kVersion:
      return 2;
    case kDeviceId:
      return device_->device_id();
    case kVendorId:
      return kVendor;
    case kDeviceFeatures:
      return core_.DeviceFeatureWord(device_features_sel_);
    case kQueueNumMax:
      return q != nullptr ? device_->max_queue_size() : 0;
    case kQueueReady:
      return q != nullptr && q->ready ? 1 : 0;
    case kInterruptStatus:
      return interrupt_status_.load();
    case kStatus:
      return core_.status();
    case kShmLenLow:
    case kShmLenHigh:
      return 0xffffffff;  // No shared memory regions (§4.2.2: length -1).
    case kConfigGeneration:
      return core_.config_generation();
    default:
      return 0;  // Write-only or reserved.
  }
}

void VirtioMmioTransport::WriteRegister(uint64_t offset, uint32_t value) {
  switch (offset) {
    case kDeviceFeaturesSel:
      device_features_sel_ = value;
      return;
    case kDriverFeatures:
      core_.WriteDriverFeatureWord(driver_features_sel_, value);
      return;
    case kDriverFeaturesSel:
      driver_features_sel_ = value;
      return;
    case kQueueSel:
      queue_sel_ = value;
      return;
    case kQueueNotify:
      // §4.2.2: the value is the queue index (without NOTIFICATION_DATA).
      if ((core_.status() & kStatusDriverOk) && value < device_->num_queues()) {
        device_->Notify(static_cast<uint16_t>(value));
      }
      return;
    case kInterruptAck:
      ClearInterrupt(value);
      return;
    default:
      break;
  }
  QueueConfig* q = core_.queue(queue_sel_);
  if (q == nullptr) return;
  if (offset == kQueueReady && value == 0) {
    q->ready = false;
    return;
  }
  if (!core_.queues_writable()) return;
  switch (offset) {
    case kQueueNum:
      // Checked against QueueNumMax and the power-of-2 rule at DRIVER_OK.
      q->size = static_cast<uint16_t>(value > 0xffff ? 0 : value);
      return;
    case kQueueReady:
      q->ready = value == 1;
      return;
    case kQueueDescLow:
      SetLow(&q->desc, value);
      return;
    case kQueueDescHigh:
      SetHigh(&q->desc, value);
      return;
    case kQueueDriverLow:
      SetLow(&q->avail, value);
      return;
    case kQueueDriverHigh:
      SetHigh(&q->avail, value);
      return;
    case kQueueDeviceLow:
      SetLow(&q->used, value);
      return;
    case kQueueDeviceHigh:
      SetHigh(&q->used, value);
      return;
    default:
      return;  // Read-only or reserved: ignored.
  }
}

void VirtioMmioTransport::RaiseInterrupt(uint32_t bits) {
  std::lock_guard<std::mutex> lock(irq_mu_);
  interrupt_status_.fetch_or(bits);
  if (irq_) irq_->SetLevel(true);
}

void VirtioMmioTransport::ClearInterrupt(uint32_t bits) {
  std::lock_guard<std::mutex> lock(irq_mu_);
  const uint32_t left = interrupt_status_.fetch_and(~bits) & ~bits;
  if (left == 0 && irq_) irq_->SetLevel(false);
}

void VirtioMmioTransport::SignalUsed(uint16_t /*index*/) { RaiseInterrupt(kInterruptUsedBuffer); }

void VirtioMmioTransport::SignalConfigChange() {
  // Lock-free: the core's generation counter and status are atomics.
  core_.BumpConfigGeneration();
  RaiseInterrupt(kInterruptConfigChange);
}

void VirtioMmioTransport::MarkNeedsReset(absl::string_view reason) {
  core_.SetNeedsReset(reason);
  // §2.1.2: with DRIVER_OK set, the device sends a config change
  // notification after setting DEVICE_NEEDS_RESET.
  if (core_.status() & kStatusDriverOk) RaiseInterrupt(kInterruptConfigChange);
}

}  // namespace virtio
}  // namespace vmm
