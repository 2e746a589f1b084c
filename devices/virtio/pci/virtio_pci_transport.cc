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
                                       std::shared_ptr<pci::MsiSink> msi,
                                       std::shared_ptr<InterruptLine> intx)
    : device_(std::move(device)),
      msi_(std::move(msi)),
      intx_(std::move(intx)),
      msix_entries_(static_cast<uint16_t>(device_->num_queues() + 1)),
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
  const uint32_t ctl = msix_cap_ + 2u;
  if (offset <= ctl + 1 && offset + data.size() > ctl) {
    const uint16_t c = config_.Get16(ctl);
    const bool was_masked = msix_function_mask_.load();
    msix_enabled_.store((c & 0x8000) != 0);
    msix_function_mask_.store((c & 0x4000) != 0);
    if (was_masked && !msix_function_mask_.load()) {
      for (uint16_t v = 0; v < msix_entries_; ++v) {
        bool pending;
        {
          std::lock_guard<std::mutex> l(irq_mu_);
          pending = msix_pending_[v];
          msix_pending_[v] = false;
        }
        if (pending) SendVector(v);
      }
    }
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
  bool deliver = false;
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
    if (!(e.control & 1) && msix_pending_[entry] && !msix_function_mask_.load()) {
      msix_pending_[entry] = false;
      deliver = true;
    }
  }
  if (deliver) SendVector(static_cast<uint16_t>(entry));
}

bool VirtioPciTransport::SendVector(uint16_t vector) {
  if (!msix_enabled_.load()) return false;
  uint64_t addr;
  uint32_t data;
  {
    std::lock_guard<std::mutex> l(irq_mu_);
    if (vector >= msix_entries_) return true;
    const MsixEntry& e = msix_table_[vector];
    if ((e.control & 1) || msix_function_mask_.load()) {
      msix_pending_[vector] = true;  // Delivered on unmask (PCI 3.0 §6.8.3.5).
      return true;
    }
    addr = e.address;
    data = e.data;
  }
  if (msi_) msi_->SendMsi(addr, data);
  return true;
}

void VirtioPciTransport::RaiseIntx(uint8_t isr_bits) {
  std::lock_guard<std::mutex> l(irq_mu_);
  isr_.fetch_or(isr_bits);
  if (intx_) intx_->SetLevel(true);
}

void VirtioPciTransport::SignalUsed(uint16_t index) {
  if (msix_enabled_.load()) {
    const uint16_t v = index < queue_vectors_.size() ? queue_vectors_[index].load() : kNoVector;
    if (v != kNoVector) SendVector(v);
    return;
  }
  RaiseIntx(1);
}

void VirtioPciTransport::SignalConfigChange() {
  core_.BumpConfigGeneration();
  if (msix_enabled_.load()) {
    const uint16_t v = config_vector_.load();
    if (v != kNoVector) SendVector(v);
    return;
  }
  RaiseIntx(2);
}

void VirtioPciTransport::MarkNeedsReset(absl::string_view reason) {
  core_.SetNeedsReset(reason);
  if (!(core_.status() & kStatusDriverOk)) return;
  if (msix_enabled_.load()) {
    const uint16_t v = config_vector_.load();
    if (v != kNoVector) SendVector(v);
    return;
  }
  RaiseIntx(2);
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
