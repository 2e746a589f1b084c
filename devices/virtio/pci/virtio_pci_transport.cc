#include "devices/virtio/pci/virtio_pci_transport.h"

#include <cstring>
#include <utility>

#include "devices/virtio/core/virtio_spec.h"

namespace vmm {
namespace virtio {

using namespace vpci;  // NOLINT: register names read best unqualified here.

namespace {

uint32_t ClassCodeFor(uint32_t device_id) {
  switch (device_id) {
    case kDeviceIdBlock:
      return 0x018000;  // Mass storage, other.
    case kDeviceIdNet:
      return 0x020000;  // Network, Ethernet.
    default:
      return 0xff0000;  // Unassigned class.
  }
}

// struct virtio_pci_cap (§4.1.4) after the id and next bytes.
std::vector<uint8_t> VirtioCap(uint8_t cfg_type, uint32_t offset, uint32_t length,
                               uint32_t extra_len) {
  std::vector<uint8_t> body(14 + extra_len, 0);
  body[0] = static_cast<uint8_t>(16 + extra_len);  // cap_len
  body[1] = cfg_type;
  body[2] = 0;  // bar
  std::memcpy(&body[6], &offset, 4);
  std::memcpy(&body[10], &length, 4);
  return body;
}

struct Field {
  uint32_t offset;
  uint32_t size;
};
constexpr Field kFields[] = {
    {kDeviceFeatureSelect, 4}, {kDeviceFeature, 4},    {kDriverFeatureSelect, 4},
    {kDriverFeature, 4},       {kConfigMsixVector, 2}, {kNumQueues, 2},
    {kDeviceStatus, 1},        {kConfigGeneration, 1}, {kQueueSelect, 2},
    {kQueueSize, 2},           {kQueueMsixVector, 2},  {kQueueEnable, 2},
    {kQueueNotifyOff, 2},      {kQueueDesc, 8},        {kQueueDriver, 8},
    {kQueueDevice, 8},         {kQueueNotifyData, 2},  {kQueueReset, 2},
};

}  // namespace

VirtioPciTransport::VirtioPciTransport(std::shared_ptr<VirtioDevice> device, GuestMemory* memory,
                                       std::shared_ptr<pci::MsixVectorSink> msix_sink,
                                       std::shared_ptr<InterruptLine> intx)
    : device_(std::move(device)),
      msix_(std::move(msix_sink)),
      intx_(std::move(intx)),
      msix_entries_(MsixEntriesFor(*device_)),
      core_(device_.get(), memory, this),
      config_(0x1af4, static_cast<uint16_t>(0x1040 + device_->device_id()),
              ClassCodeFor(device_->device_id()), /*revision=*/1, 0x1af4, 0x1100),
      msix_table_(msix_entries_),
      msix_pending_(msix_entries_, false),
      queue_vectors_(device_->num_queues()) {
  for (auto& v : queue_vectors_) v.store(kNoVector);
  absl::MutexLock lock(&mu_);
  config_.AddMemBar64(0, kBar0Size);
  // MSI-X (PCI 3.0 §6.8.2): table size N-1, table and PBA in BAR 0.
  std::vector<uint8_t> msix(10, 0);
  const uint16_t control = static_cast<uint16_t>(msix_entries_ - 1);
  const uint32_t table = static_cast<uint32_t>(kMsixTable);  // BIR 0
  const uint32_t pba = static_cast<uint32_t>(kMsixPba);
  std::memcpy(&msix[0], &control, 2);
  std::memcpy(&msix[2], &table, 4);
  std::memcpy(&msix[6], &pba, 4);
  const std::vector<uint8_t> msix_mask = {0x00, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0};
  msix_cap_ = config_.AddCapability(pci::kCapIdMsix, msix, msix_mask);
  config_.AddCapability(pci::kCapIdVendor, VirtioCap(kCapCommonCfg, kCommonCfg, kCommonCfgSize, 0));
  std::vector<uint8_t> notify =
      VirtioCap(kCapNotifyCfg, kNotifyCfg, kNotifyOffMultiplier * device_->num_queues(), 4);
  std::memcpy(&notify[14], &kNotifyOffMultiplier, 4);
  config_.AddCapability(pci::kCapIdVendor, notify);
  config_.AddCapability(pci::kCapIdVendor, VirtioCap(kCapIsrCfg, kIsrCfg, 1, 0));
  config_.AddCapability(pci::kCapIdVendor,
                        VirtioCap(kCapDeviceCfg, kDeviceCfg, device_->config_size(), 0));
  // §4.1.4.9 VIRTIO_PCI_CAP_PCI_CFG: bar, offset, length and data writable.
  std::vector<uint8_t> cfg_mask(18, 0);
  cfg_mask[2] = 0xff;
  for (int i = 6; i < 18; ++i) cfg_mask[i] = 0xff;
  pci_cfg_cap_ = config_.AddCapability(pci::kCapIdVendor, VirtioCap(kCapPciCfg, 0, 0, 4), cfg_mask);
}

VirtioPciTransport::~VirtioPciTransport() { device_->Reset(); }

uint64_t VirtioPciTransport::BarAddress(int bar) const {
  auto* self = const_cast<VirtioPciTransport*>(this);
  absl::MutexLock lock(&self->mu_);
  return self->config_.BarAddress(bar);
}

void VirtioPciTransport::ConfigRead(uint32_t offset, absl::Span<uint8_t> data) {
  absl::MutexLock lock(&mu_);
  if (offset == pci_cfg_cap_ + 16u && !data.empty()) return PciCfgWindow(false, data, {});
  config_.Read(offset, data);
}

void VirtioPciTransport::ConfigWrite(uint32_t offset, absl::Span<const uint8_t> data) {
  absl::MutexLock lock(&mu_);
  if (offset == pci_cfg_cap_ + 16u && !data.empty()) return PciCfgWindow(true, {}, data);
  config_.Write(offset, data);
  if (offset <= 0x05 && offset + data.size() > 0x05) {
    // Command bit 10, Interrupt Disable: drop the line while set; an ISR
    // still pending raises it again when cleared.
    std::lock_guard<std::mutex> l(irq_mu_);
    intx_disabled_ = (config_.Get16(0x04) & 0x400) != 0;
    if (intx_) intx_->SetLevel(!intx_disabled_ && isr_.load() != 0);
  }
  const uint32_t ctl = msix_cap_ + 2u;
  if (offset <= ctl + 1 && offset + data.size() > ctl) {
    // PCI 3.0 §6.8.2.3: MSI-X Enable and Function Mask gate every vector;
    // the sink learns the new state of each, pending ones fire if now able.
    const uint16_t c = config_.Get16(ctl);
    std::lock_guard<std::mutex> l(irq_mu_);
    const bool enabled = (c & 0x8000) != 0;
    const bool masked = (c & 0x4000) != 0;
    if (enabled == msix_enabled_.load() && masked == msix_function_mask_.load()) return;
    msix_enabled_.store(enabled);
    msix_function_mask_.store(masked);
    for (uint16_t v = 0; v < msix_entries_; ++v) RouteVectorLocked(v);
  }
}

bool VirtioPciTransport::DeliverableLocked(uint16_t v) const {
  return msix_enabled_.load() && !msix_function_mask_.load() && !(msix_table_[v].control & 1);
}

void VirtioPciTransport::RouteVectorLocked(uint16_t v) {
  const MsixEntry& e = msix_table_[v];
  const bool deliverable = DeliverableLocked(v);
  if (msix_) msix_->Route(v, e.address, e.data, deliverable);
  if (deliverable && msix_pending_[v]) {
    // PCI 3.0 §6.8.3.5: a pending message is sent once the vector unmasks.
    msix_pending_[v] = false;
    if (msix_) msix_->Signal(v);
  }
}

void VirtioPciTransport::PciCfgWindow(bool write, absl::Span<uint8_t> rdata,
                                      absl::Span<const uint8_t> wdata) {
  // §4.1.4.9.1: the access goes to `length` bytes at `offset` in `bar`.
  const uint8_t bar = config_.Get8(pci_cfg_cap_ + 4);
  const uint32_t off = config_.Get32(pci_cfg_cap_ + 8);
  const uint32_t len = config_.Get32(pci_cfg_cap_ + 12);
  if (bar != 0 || (len != 1 && len != 2 && len != 4) || off >= kBar0Size || len > kBar0Size - off) {
    if (!write) std::memset(rdata.data(), 0, rdata.size());
    return;
  }
  if (write) {
    if (wdata.size() < len) return;
    BarAccess(off, {}, wdata.subspan(0, len), true);
  } else {
    std::memset(rdata.data(), 0, rdata.size());
    if (rdata.size() < len) return;
    BarAccess(off, rdata.subspan(0, len), {}, false);
  }
}

void VirtioPciTransport::BarRead(int bar, uint64_t offset, absl::Span<uint8_t> data) {
  std::memset(data.data(), 0, data.size());
  if (bar != 0 || offset >= kBar0Size || data.size() > kBar0Size - offset) return;
  absl::MutexLock lock(&mu_);
  BarAccess(offset, data, {}, false);
}

void VirtioPciTransport::BarWrite(int bar, uint64_t offset, absl::Span<const uint8_t> data) {
  if (bar != 0 || offset >= kBar0Size || data.size() > kBar0Size - offset) return;
  absl::MutexLock lock(&mu_);
  BarAccess(offset, {}, data, true);
}

void VirtioPciTransport::BarAccess(uint64_t offset, absl::Span<uint8_t> rdata,
                                   absl::Span<const uint8_t> wdata, bool write) {
  const uint64_t size = write ? wdata.size() : rdata.size();
  if (offset + size <= kCommonCfg + kCommonCfgSize) {
    return write ? WriteCommon(offset, wdata) : ReadCommon(offset, rdata);
  }
  if (offset == kIsrCfg && size == 1) {
    if (!write) {
      // §4.1.4.5: reading the ISR status clears it and de-asserts INTx.
      std::lock_guard<std::mutex> l(irq_mu_);
      rdata[0] = isr_.exchange(0);
      if (intx_) intx_->SetLevel(false);
    }
    return;
  }
  if (offset >= kDeviceCfg && offset < kDeviceCfg + 0x1000) {
    const uint64_t off = offset - kDeviceCfg;
    const uint32_t cfg = device_->config_size();
    if (off >= cfg || size > cfg - off) return;
    if (write) {
      device_->WriteConfig(static_cast<uint32_t>(off), wdata);
    } else {
      device_->ReadConfig(static_cast<uint32_t>(off), rdata);
    }
    return;
  }
  if (offset >= kNotifyCfg && offset < kNotifyCfg + 0x1000) {
    const uint64_t q = (offset - kNotifyCfg) / kNotifyOffMultiplier;
    if (write && q < device_->num_queues() && (core_.status() & kStatusDriverOk)) {
      device_->Notify(static_cast<uint16_t>(q));
    }
    return;
  }
  if (offset >= kMsixTable && offset < kMsixPba) {
    return MsixTableAccess(offset - kMsixTable, rdata, wdata, write);
  }
  if (offset >= kMsixPba && !write) {
    std::lock_guard<std::mutex> l(irq_mu_);
    for (uint64_t i = 0; i < size; ++i) {
      uint8_t byte = 0;
      for (int b = 0; b < 8; ++b) {
        const uint64_t v = (offset - kMsixPba + i) * 8 + b;
        if (v < msix_entries_ && msix_pending_[v]) byte |= static_cast<uint8_t>(1 << b);
      }
      rdata[i] = byte;
    }
  }
}

void VirtioPciTransport::MsixTableAccess(uint64_t offset, absl::Span<uint8_t> rdata,
                                         absl::Span<const uint8_t> wdata, bool write) {
  const uint64_t entry = offset / 16;
  const uint64_t field = offset % 16;
  const size_t size = write ? wdata.size() : rdata.size();
  if (entry >= msix_entries_ || field + size > 16) return;
  {
    std::lock_guard<std::mutex> l(irq_mu_);
    MsixEntry& e = msix_table_[entry];
    uint8_t raw[16];
    std::memcpy(&raw[0], &e.address, 8);
    std::memcpy(&raw[8], &e.data, 4);
    std::memcpy(&raw[12], &e.control, 4);
    if (!write) {
      std::memcpy(rdata.data(), &raw[field], size);
      return;
    }
    std::memcpy(&raw[field], wdata.data(), size);
    std::memcpy(&e.address, &raw[0], 8);
    std::memcpy(&e.data, &raw[8], 4);
    std::memcpy(&e.control, &raw[12], 4);
    e.control &= 1;  // Only the mask bit is defined.
    RouteVectorLocked(static_cast<uint16_t>(entry));
  }
}

void VirtioPciTransport::Interrupt(uint16_t vector, uint8_t isr_bits) {
  // One lock for the whole decision, so that a vector a vCPU masks right
  // now is either signalled first (the sink keeps its route, so that
  // signal lands even if KVM injects it later) or latched pending, and
  // MSI-X enable flips cannot lose an interrupt.
  std::lock_guard<std::mutex> l(irq_mu_);
  if (msix_enabled_.load()) {
    // §4.1.5.1.2: with MSI-X on, NO_VECTOR means no interrupt at all.
    if (vector == kNoVector || vector >= msix_entries_) return;
    if (!DeliverableLocked(vector)) {
      msix_pending_[vector] = true;  // Delivered on unmask (PCI 3.0 §6.8.3.5).
      return;
    }
    if (msix_) msix_->Signal(vector);
    return;
  }
  // INTx: level-triggered, held until the driver reads the ISR (§4.1.4.5)
  // and gated by the command register's Interrupt Disable bit (PCI 3.0
  // §6.2.2), which Linux sets while MSI-X is on.
  isr_.fetch_or(isr_bits);
  if (intx_ && !intx_disabled_) intx_->SetLevel(true);
}

void VirtioPciTransport::SignalUsed(uint16_t index) {
  Interrupt(index < queue_vectors_.size() ? queue_vectors_[index].load() : kNoVector, 1);
}

void VirtioPciTransport::SignalConfigChange() {
  core_.BumpConfigGeneration();
  Interrupt(config_vector_.load(), 2);
}

void VirtioPciTransport::MarkNeedsReset(absl::string_view reason) {
  core_.SetNeedsReset(reason);
  if (!(core_.status() & kStatusDriverOk)) return;
  Interrupt(config_vector_.load(), 2);
}

void VirtioPciTransport::BuildCommon(uint8_t* img) {
  auto put16 = [&](uint32_t off, uint16_t v) { std::memcpy(img + off, &v, 2); };
  auto put32 = [&](uint32_t off, uint32_t v) { std::memcpy(img + off, &v, 4); };
  auto put64 = [&](uint32_t off, uint64_t v) { std::memcpy(img + off, &v, 8); };
  std::memset(img, 0, kCommonCfgSize);
  put32(kDeviceFeatureSelect, device_feature_select_);
  put32(kDeviceFeature, core_.DeviceFeatureWord(device_feature_select_));
  put32(kDriverFeatureSelect, driver_feature_select_);
  put32(kDriverFeature,
        driver_feature_select_ < 2
            ? static_cast<uint32_t>(core_.driver_features() >> (32 * driver_feature_select_))
            : 0);
  put16(kConfigMsixVector, config_vector_.load());
  put16(kNumQueues, device_->num_queues());
  img[kDeviceStatus] = core_.status();
  img[kConfigGeneration] = static_cast<uint8_t>(core_.config_generation());
  put16(kQueueSelect, queue_select_);
  if (QueueConfig* q = core_.queue(queue_select_)) {
    put16(kQueueSize, q->size != 0 ? q->size : device_->max_queue_size());
    put16(kQueueMsixVector, queue_vectors_[queue_select_].load());
    put16(kQueueEnable, q->ready ? 1 : 0);
    put16(kQueueNotifyOff, queue_select_);
    put64(kQueueDesc, q->desc);
    put64(kQueueDriver, q->avail);
    put64(kQueueDevice, q->used);
    put16(kQueueNotifyData, queue_select_);
  } else {
    put16(kQueueMsixVector, kNoVector);
  }
}

void VirtioPciTransport::ReadCommon(uint64_t offset, absl::Span<uint8_t> data) {
  uint8_t img[kCommonCfgSize];
  BuildCommon(img);
  std::memcpy(data.data(), img + offset, data.size());
}

void VirtioPciTransport::WriteCommon(uint64_t offset, absl::Span<const uint8_t> data) {
  uint8_t img[kCommonCfgSize];
  BuildCommon(img);
  std::memcpy(img + offset, data.data(), data.size());
  for (const Field& f : kFields) {
    if (offset < f.offset + f.size && offset + data.size() > f.offset) {
      ApplyCommonField(f.offset, img);
    }
  }
}

void VirtioPciTransport::ApplyCommonField(uint32_t field, const uint8_t* img) {
  uint16_t v16;
  uint32_t v32;
  uint64_t v64;
  std::memcpy(&v16, img + field, 2);
  std::memcpy(&v32, img + field, 4);
  std::memcpy(&v64, img + field, field + 8 <= kCommonCfgSize ? 8 : 4);
  QueueConfig* q = core_.queue(queue_select_);
  const bool qw = q != nullptr && core_.queues_writable();
  switch (field) {
    case kDeviceFeatureSelect:
      device_feature_select_ = v32;
      return;
    case kDriverFeatureSelect:
      driver_feature_select_ = v32;
      return;
    case kDriverFeature:
      core_.WriteDriverFeatureWord(driver_feature_select_, v32);
      return;
    case kConfigMsixVector:
      config_vector_.store(v16 < msix_entries_ ? v16 : kNoVector);
      return;
    case kDeviceStatus:
      if (core_.WriteStatus(img[kDeviceStatus])) {
        std::lock_guard<std::mutex> l(irq_mu_);
        isr_.store(0);
        if (intx_) intx_->SetLevel(false);
        config_vector_.store(kNoVector);
        for (auto& v : queue_vectors_) v.store(kNoVector);
        device_feature_select_ = driver_feature_select_ = 0;
        queue_select_ = 0;
      }
      return;
    case kQueueSelect:
      queue_select_ = v16;
      return;
    case kQueueSize:
      if (qw) q->size = v16;
      return;
    case kQueueMsixVector:
      if (q != nullptr) queue_vectors_[queue_select_].store(v16 < msix_entries_ ? v16 : kNoVector);
      return;
    case kQueueEnable:
      // §4.1.4.3.2: the driver writes 1 only; disabling is done by reset.
      if (qw && v16 == 1) {
        if (q->size == 0) q->size = device_->max_queue_size();
        q->ready = true;
      }
      return;
    case kQueueDesc:
      if (qw) q->desc = v64;
      return;
    case kQueueDriver:
      if (qw) q->avail = v64;
      return;
    case kQueueDevice:
      if (qw) q->used = v64;
      return;
    default:
      return;  // Read-only fields; queue_reset is not offered.
  }
}

}  // namespace virtio
}  // namespace vmm
