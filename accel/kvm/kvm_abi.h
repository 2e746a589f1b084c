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
