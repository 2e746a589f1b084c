#include "devices/virtio/core/transport_core.h"

#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "devices/virtio/core/virtio_spec.h"
#include "vmm/base/log.h"

namespace vmm {
namespace virtio {

TransportCore::TransportCore(VirtioDevice* device, GuestMemory* memory, VirtioTransportLink* link)
    : device_(device), memory_(memory), link_(link), queues_(device->num_queues()) {}

uint32_t TransportCore::DeviceFeatureWord(uint32_t sel) const {
  if (sel > 1) return 0;
  return static_cast<uint32_t>(device_->device_features() >> (32 * sel));
}

void TransportCore::WriteDriverFeatureWord(uint32_t sel, uint32_t value) {
  const uint8_t st = status();
  if (sel > 1 || !(st & kStatusDriver) || (st & kStatusFeaturesOk)) return;
  const uint64_t mask = uint64_t{0xffffffff} << (32 * sel);
  driver_features_ = (driver_features_ & ~mask) | (uint64_t{value} << (32 * sel));
}

QueueConfig* TransportCore::queue(uint32_t index) {
  if (index >= queues_.size()) return nullptr;
  return &queues_[index];
}

void TransportCore::SetNeedsReset(absl::string_view reason) {
  const uint8_t old = status_.fetch_or(kStatusDeviceNeedsReset);
  if (old & kStatusDeviceNeedsReset) return;  // One log line per episode.
  Log(LogLevel::kWarning, "virtio", "device_needs_reset",
      {{"device", std::string(device_->name())}, {"reason", std::string(reason)}});
}

void TransportCore::Reset() {
  device_->Reset();
  status_.store(0);
  driver_features_ = 0;
  for (QueueConfig& q : queues_) q = QueueConfig();
}

bool TransportCore::WriteStatus(uint8_t value) {
  if (value == 0) {
    Reset();
    return true;
  }
  const uint8_t old = status();
  // The driver never clears bits except by reset (§2.1.1); DEVICE_NEEDS_RESET
  // belongs to the device, so ignore it in the written value.
  const uint8_t wanted = static_cast<uint8_t>(value & ~kStatusDeviceNeedsReset);
  const uint8_t keep = old & kStatusDeviceNeedsReset;
  if ((wanted & (old & ~kStatusDeviceNeedsReset)) != (old & ~kStatusDeviceNeedsReset)) {
    Log(LogLevel::kWarning, "virtio", "status_write_ignored",
        {{"device", std::string(device_->name())},
         {"status", absl::StrFormat("0x%x", old)},
         {"written", absl::StrFormat("0x%x", value)},
         {"reason", "driver cleared bits without reset"}});
    return false;
  }
  uint8_t next = wanted;
  const uint8_t added = wanted & ~old;
  if (added & kStatusFeaturesOk) {
    const uint64_t offered = device_->device_features();
    const bool order_ok = (wanted & kStatusAcknowledge) && (wanted & kStatusDriver);
    const bool subset = (driver_features_ & ~offered) == 0;
    const bool v1 = (driver_features_ & Bit(kFVersion1)) != 0;
    if (!order_ok || !subset || !v1) {
      // §3.1.1 step 6: the driver re-reads status and sees FEATURES_OK unset.
      Log(LogLevel::kWarning, "virtio", "features_refused",
          {{"device", std::string(device_->name())},
           {"driver_features", absl::StrFormat("0x%x", driver_features_)},
           {"offered", absl::StrFormat("0x%x", offered)},
           {"reason", !order_ok ? "FEATURES_OK before ACKNOWLEDGE|DRIVER"
                      : !subset ? "features not offered"
                                : "VIRTIO_F_VERSION_1 not accepted"}});
      next &= static_cast<uint8_t>(~kStatusFeaturesOk);
    }
  }
  if ((added & kStatusDriverOk) && !(next & kStatusFeaturesOk)) {
    Log(LogLevel::kWarning, "virtio", "driver_ok_refused",
        {{"device", std::string(device_->name())}, {"reason", "DRIVER_OK without FEATURES_OK"}});
    next &= static_cast<uint8_t>(~kStatusDriverOk);
  }
  status_.store(static_cast<uint8_t>(next | keep));
  if ((next & kStatusDriverOk) && !(old & kStatusDriverOk)) Activate();
  return false;
}

void TransportCore::Activate() {
  Activation act;
  act.features = driver_features_;
  act.memory = memory_;
  act.link = link_;
  const QueueFeatures qf{(driver_features_ & Bit(kFEventIdx)) != 0,
                         (driver_features_ & Bit(kFIndirectDesc)) != 0};
  for (size_t i = 0; i < queues_.size(); ++i) {
    const QueueConfig& qc = queues_[i];
    if (!qc.ready) continue;
    QueueLayout layout{qc.size, GuestAddress(qc.desc), GuestAddress(qc.avail),
                       GuestAddress(qc.used)};
    absl::StatusOr<SplitQueue> q =
        SplitQueue::Create(memory_, layout, device_->max_queue_size(), qf);
    if (!q.ok()) {
      SetNeedsReset(absl::StrFormat("queue %d: %s", i, q.status().message()));
      link_->SignalConfigChange();
      return;
    }
    act.queues.push_back(ActiveQueue{static_cast<uint16_t>(i), std::move(*q)});
  }
  absl::Status s = device_->Activate(std::move(act));
  if (!s.ok()) {
    SetNeedsReset(absl::StrFormat("activation failed: %s", s.message()));
    link_->SignalConfigChange();
  }
}

}  // namespace virtio
}  // namespace vmm
