#include "devices/virtio/pci/pci_root.h"

#include <cstring>

#include "absl/strings/str_format.h"
#include "devices/virtio/pci/pci_config_space.h"

namespace vmm {
namespace pci {

namespace {

// Slot 0: the host bridge itself (class 06 00 00), no BARs.
class HostBridge : public PciFunction {
 public:
  HostBridge() : config_(0x1b36, 0x0008, 0x060000, 0, 0x1af4, 0x1100) {}
  void ConfigRead(uint32_t offset, absl::Span<uint8_t> data) override {
    absl::MutexLock l(&mu_);
    config_.Read(offset, data);
  }
  void ConfigWrite(uint32_t offset, absl::Span<const uint8_t> data) override {
    absl::MutexLock l(&mu_);
    config_.Write(offset, data);
  }
  uint64_t BarAddress(int) const override { return 0; }
  uint64_t BarSize(int) const override { return 0; }
  void BarRead(int, uint64_t, absl::Span<uint8_t>) override {}
  void BarWrite(int, uint64_t, absl::Span<const uint8_t>) override {}

 private:
  absl::Mutex mu_;
  PciConfigSpace config_ ABSL_GUARDED_BY(mu_);
};

// Configuration mechanism #1: 0xCF8 address (enable bit 31, bus 23:16,
// device 15:11, function 10:8, register 7:2), 0xCFC..0xCFF data.
class ConfigIoDevice : public BusDevice {
 public:
  explicit ConfigIoDevice(PciRoot* root) : root_(root) {}
  absl::string_view name() const override { return "pci-config-io"; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override {
    std::memset(data.data(), 0xff, data.size());
    if (offset < 4) {
      if (offset == 0 && data.size() == 4) {
        const uint32_t a = address_.load();
        std::memcpy(data.data(), &a, 4);
      }
      return;
    }
    int slot;
    uint32_t reg;
    if (Decode(offset, data.size(), &slot, &reg)) root_->ConfigRead(slot, reg, data);
  }
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override {
    if (offset < 4) {
      if (offset == 0 && data.size() == 4) {
        uint32_t a;
        std::memcpy(&a, data.data(), 4);
        address_.store(a);
      }
      return;
    }
    int slot;
    uint32_t reg;
    if (Decode(offset, data.size(), &slot, &reg)) root_->ConfigWrite(slot, reg, data);
  }

 private:
  bool Decode(uint64_t offset, size_t size, int* slot, uint32_t* reg) const {
    const uint32_t a = address_.load();
    const uint32_t byte = static_cast<uint32_t>(offset - 4);
    if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0 || ((a >> 8) & 7) != 0) return false;
    if (byte + size > 4) return false;
    *slot = static_cast<int>((a >> 11) & 31);
    *reg = (a & 0xfc) + byte;
    return true;
  }
  PciRoot* root_;
  std::atomic<uint32_t> address_{0};
};

// ECAM: offset = bus << 20 | device << 15 | function << 12 | register.
class EcamDevice : public BusDevice {
 public:
  explicit EcamDevice(PciRoot* root) : root_(root) {}
  absl::string_view name() const override { return "pci-ecam"; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override {
    std::memset(data.data(), 0xff, data.size());
    if (Ok(offset, data.size())) {
      root_->ConfigRead(static_cast<int>((offset >> 15) & 31), offset & 0xfff, data);
    }
  }
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override {
    if (Ok(offset, data.size())) {
      root_->ConfigWrite(static_cast<int>((offset >> 15) & 31), offset & 0xfff, data);
    }
  }

 private:
  static bool Ok(uint64_t offset, size_t size) {
    // Bus 0, function 0, naturally aligned, inside one function's 4 KiB.
    return (offset >> 20) == 0 && ((offset >> 12) & 7) == 0 && size <= 4 && (offset % size) == 0;
  }
  PciRoot* root_;
};

class WindowDevice : public BusDevice {
 public:
  explicit WindowDevice(PciRoot* root) : root_(root) {}
  absl::string_view name() const override { return "pci-mmio-window"; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override {
    root_->WindowRead(root_->window_base() + offset, data);
  }
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override {
    root_->WindowWrite(root_->window_base() + offset, data);
  }

 private:
  PciRoot* root_;
};

}  // namespace

PciRoot::PciRoot(uint64_t window_base, uint64_t window_size)
    : window_base_(window_base), window_size_(window_size) {
  slots_[0] = std::make_shared<HostBridge>();
  config_io_ = std::make_shared<ConfigIoDevice>(this);
  ecam_ = std::make_shared<EcamDevice>(this);
  window_ = std::make_shared<WindowDevice>(this);
}

absl::Status PciRoot::AddFunction(int slot, std::shared_ptr<PciFunction> fn) {
  if (slot < 1 || slot > 31) {
    return absl::InvalidArgumentError(absl::StrFormat("pci slot=%d: must be 1..31", slot));
  }
  {
    absl::MutexLock l(&mu_);
    if (slots_[slot]) {
      return absl::AlreadyExistsError(absl::StrFormat("pci slot=%d is taken", slot));
    }
  }
  // Assign BARs as firmware would: naturally aligned, inside the window.
  for (int bar = 0; bar < 6; ++bar) {
    const uint64_t size = fn->BarSize(bar);
    if (size == 0) continue;
    const uint64_t at = (next_bar_ + size - 1) / size * size;
    if (at + size > window_size_) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "pci slot=%d bar=%d size=0x%x: does not fit the MMIO window of 0x%x bytes", slot, bar,
          size, window_size_));
    }
    next_bar_ = at + size;
    const uint64_t addr = window_base_ + at;
    const uint32_t lo = static_cast<uint32_t>(addr), hi = static_cast<uint32_t>(addr >> 32);
    fn->ConfigWrite(0x10 + 4 * bar,
                    absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(&lo), 4));
    fn->ConfigWrite(0x14 + 4 * bar,
                    absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(&hi), 4));
  }
  const uint16_t cmd = kCommandMemory | kCommandBusMaster;
  fn->ConfigWrite(0x04, absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(&cmd), 2));
  absl::MutexLock l(&mu_);
  slots_[slot] = std::move(fn);
  return absl::OkStatus();
}

void PciRoot::ConfigRead(int slot, uint32_t offset, absl::Span<uint8_t> data) {
  std::shared_ptr<PciFunction> fn;
  {
    absl::MutexLock l(&mu_);
    fn = slots_[slot & 31];
  }
  if (!fn || offset >= kConfigSpaceSize || data.size() > kConfigSpaceSize - offset) {
    std::memset(data.data(), 0xff, data.size());  // No device: all-ones.
    return;
  }
  fn->ConfigRead(offset, data);
}

void PciRoot::ConfigWrite(int slot, uint32_t offset, absl::Span<const uint8_t> data) {
  std::shared_ptr<PciFunction> fn;
  {
    absl::MutexLock l(&mu_);
    fn = slots_[slot & 31];
  }
  if (!fn || offset >= kConfigSpaceSize || data.size() > kConfigSpaceSize - offset) return;
  fn->ConfigWrite(offset, data);
}

PciFunction* PciRoot::Find(uint64_t addr, int* bar, uint64_t* offset) {
  absl::MutexLock l(&mu_);
  for (const auto& fn : slots_) {
    if (!fn) continue;
    for (int b = 0; b < 6; ++b) {
      const uint64_t size = fn->BarSize(b);
      if (size == 0) continue;
      const uint64_t base = fn->BarAddress(b);
      if (base != 0 && addr >= base && addr - base < size) {
        *bar = b;
        *offset = addr - base;
        return fn.get();
      }
    }
  }
  return nullptr;
}

void PciRoot::WindowRead(uint64_t addr, absl::Span<uint8_t> data) {
  std::memset(data.data(), 0xff, data.size());
  int bar;
  uint64_t off;
  // Functions live as long as the root (never removed), so the raw pointer
  // stays valid after Find drops the lock.
  if (PciFunction* fn = Find(addr, &bar, &off)) fn->BarRead(bar, off, data);
}

void PciRoot::WindowWrite(uint64_t addr, absl::Span<const uint8_t> data) {
  int bar;
  uint64_t off;
  if (PciFunction* fn = Find(addr, &bar, &off)) fn->BarWrite(bar, off, data);
}

}  // namespace pci
}  // namespace vmm
