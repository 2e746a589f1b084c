#ifndef ACCEL_KVM_KVM_VM_H_
#define ACCEL_KVM_KVM_VM_H_

#include <linux/kvm.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "accel/accelerator.h"
#include "vmm/base/fd.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {

// The KVM system fd (/dev/kvm) and what it tells us about the host.
class Kvm {
 public:
  // Opens `path` and checks the API version and the capabilities we rely on.
  // Errors say what is wrong ("/dev/kvm: Permission denied").
  static absl::StatusOr<std::unique_ptr<Kvm>> Open(const std::string& path = "/dev/kvm");

  int fd() const { return fd_.get(); }
  size_t vcpu_mmap_size() const { return vcpu_mmap_size_; }
  // Highest vCPU count KVM accepts for one VM.
  uint32_t max_vcpus() const { return max_vcpus_; }
  // KVM_GET_SUPPORTED_CPUID plus the features KVM reports only as a
  // capability (TSC-deadline timer): the template each vCPU's CPUID starts from.
  const std::vector<kvm_cpuid_entry2>& supported_cpuid() const { return supported_cpuid_; }

  // KVM_GET_MSR_INDEX_LIST: the MSRs a VMM may save/restore and set.
  const std::vector<uint32_t>& msr_index_list() const { return msr_index_list_; }

  // Returns the KVM_CHECK_EXTENSION value (0 = not supported).
  int CheckExtension(int cap) const;

 private:
  Kvm() = default;
  void AddCapabilityOnlyCpuidBits();
  Fd fd_;
  size_t vcpu_mmap_size_ = 0;
  uint32_t max_vcpus_ = 1;
  std::vector<kvm_cpuid_entry2> supported_cpuid_;
  std::vector<uint32_t> msr_index_list_;
};

// One KVM VM (an x86 PC-like one: in-kernel PIC/IOAPIC/LAPIC and PIT).
class KvmVm : public AcceleratorVm {
 public:
  // Addresses KVM needs for its real-mode emulation helpers on Intel (a
  // 3-page TSS and the identity-map page table); placed just below the 4 GiB
  // BIOS area, where RAM never is on our memory map.
  static constexpr uint64_t kTssAddress = 0xfffbd000;
  static constexpr uint64_t kIdentityMapAddress = 0xfffbc000;

  // Creates the VM with the in-kernel irqchip and PIT. `kvm` must outlive it.
  static absl::StatusOr<std::unique_ptr<KvmVm>> Create(const Kvm* kvm);

  absl::Status MapMemory(const GuestMemory& memory) override;
  absl::StatusOr<std::unique_ptr<Vcpu>> CreateVcpu(uint32_t id) override;
  absl::Status SetIrqLine(uint32_t gsi, bool level) override;

  const Kvm& kvm() const { return *kvm_; }
  int fd() const { return fd_.get(); }

 private:
  KvmVm(const Kvm* kvm, Fd fd) : kvm_(kvm), fd_(std::move(fd)) {}
  absl::Status SetupX86Platform();

  const Kvm* kvm_;
  Fd fd_;
  uint32_t next_slot_ = 0;
};

// The Accelerator interface over KVM. Machines that need x86 vCPU setup use
// KvmVm / KvmVcpu directly; generic code can stay on the interfaces.
class KvmAccelerator : public Accelerator {
 public:
  static absl::StatusOr<std::unique_ptr<KvmAccelerator>> Open(const std::string& path = "/dev/kvm");
  const char* name() const override { return "kvm"; }
  absl::StatusOr<std::unique_ptr<AcceleratorVm>> CreateVm() override;
  const Kvm& kvm() const { return *kvm_; }

 private:
  explicit KvmAccelerator(std::unique_ptr<Kvm> kvm) : kvm_(std::move(kvm)) {}
  std::unique_ptr<Kvm> kvm_;
};

}  // namespace vmm

#endif  // ACCEL_KVM_KVM_VM_H_
