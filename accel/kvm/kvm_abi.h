#ifndef ACCEL_KVM_KVM_ABI_H_
#define ACCEL_KVM_KVM_ABI_H_

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace vmm {

// Debian 12's <asm/kvm.h> declares kvm_cpuid2::entries with
// __DECLARE_FLEX_ARRAY, whose empty struct has size 1 in C++: the struct
// grows from 8 to 12 bytes, `entries` moves to offset 12 and the ioctl
// numbers derived from sizeof() change, so the kernel answers EINVAL. We use
// the C layout explicitly: an 8-byte header {nent, padding}, then entries.
constexpr size_t kKvmCpuid2HeaderSize = 8;
constexpr unsigned long kKvmGetSupportedCpuid =
    _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, kKvmCpuid2HeaderSize);
constexpr unsigned long kKvmSetCpuid2 = _IOC(_IOC_WRITE, KVMIO, 0x90, kKvmCpuid2HeaderSize);

// The same for kvm_msr_list (4-byte header) and kvm_msrs (8-byte header).
constexpr unsigned long kKvmGetMsrIndexList = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x02, 4);
constexpr unsigned long kKvmGetMsrs = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x88, 8);
constexpr unsigned long kKvmSetMsrs = _IOC(_IOC_WRITE, KVMIO, 0x89, 8);

// The same for kvm_irq_routing (8-byte header {nr, flags}, then entries).
constexpr size_t kKvmIrqRoutingHeaderSize = 8;
constexpr unsigned long kKvmSetGsiRouting =
    _IOC(_IOC_WRITE, KVMIO, 0x6a, kKvmIrqRoutingHeaderSize);

// A kvm_msrs in the C layout.
class KvmMsrBuffer {
 public:
  explicit KvmMsrBuffer(const std::vector<kvm_msr_entry>& entries)
      : buf_(8 + entries.size() * sizeof(kvm_msr_entry), 0) {
    uint32_t n = static_cast<uint32_t>(entries.size());
    std::memcpy(buf_.data(), &n, sizeof(n));
    if (!entries.empty()) {
      std::memcpy(buf_.data() + 8, entries.data(), entries.size() * sizeof(kvm_msr_entry));
    }
  }
  void* data() { return buf_.data(); }
  kvm_msr_entry entry(size_t i) const {
    kvm_msr_entry e;
    std::memcpy(&e, buf_.data() + 8 + i * sizeof(e), sizeof(e));
    return e;
  }

 private:
  std::vector<uint8_t> buf_;
};

// A kvm_cpuid2 in the C layout.
class KvmCpuidBuffer {
 public:
  explicit KvmCpuidBuffer(uint32_t nent)
      : buf_(kKvmCpuid2HeaderSize + size_t{nent} * sizeof(kvm_cpuid_entry2), 0) {
    std::memcpy(buf_.data(), &nent, sizeof(nent));
  }
  void* data() { return buf_.data(); }
  uint32_t nent() const {
    uint32_t n;
    std::memcpy(&n, buf_.data(), sizeof(n));
    return n;
  }
  kvm_cpuid_entry2 entry(uint32_t i) const {
    kvm_cpuid_entry2 e;
    std::memcpy(&e, buf_.data() + kKvmCpuid2HeaderSize + i * sizeof(e), sizeof(e));
    return e;
  }
  void set_entry(uint32_t i, const kvm_cpuid_entry2& e) {
    std::memcpy(buf_.data() + kKvmCpuid2HeaderSize + i * sizeof(e), &e, sizeof(e));
  }

 private:
  std::vector<uint8_t> buf_;
};

}  // namespace vmm

#endif  // ACCEL_KVM_KVM_ABI_H_
