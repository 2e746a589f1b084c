// Test-only: the "open /dev/kvm + KVM_CREATE_VM" set-up the tests on the
// real /dev/kvm share (accel/kvm, vmm/machine/x86).
#ifndef ACCEL_KVM_KVM_TEST_FIXTURE_H_
#define ACCEL_KVM_KVM_TEST_FIXTURE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "accel/kvm/kvm_vcpu.h"
#include "accel/kvm/kvm_vm.h"
#include "gtest/gtest.h"

namespace vmm {

// The system fd and one VM on it. Declared in this order so the VM is
// destroyed before the Kvm it points to (KvmVm::Create: `kvm` must outlive it).
struct OpenedKvmVm {
  std::unique_ptr<Kvm> kvm;
  std::unique_ptr<KvmVm> vm;
};

// Opens `path` and creates a VM (in-kernel irqchip and PIT); the error names
// the step that failed.
absl::StatusOr<OpenedKvmVm> OpenKvmVm(const std::string& path = "/dev/kvm");

// Sets the LAPIC's spurious-vector register to 0x1ff (APIC software enable,
// SDM vol. 3 §11.9), as a guest kernel leaves it: a disabled LAPIC drops
// fixed interrupts, so tests that look for a vector in the IRR need this.
absl::Status SoftwareEnableLapic(const KvmVcpu& vcpu);

// gtest fixture base: kvm_ and vm_ are ready after SetUp(). A subclass that
// overrides SetUp() calls KvmVmTest::SetUp() first and returns at once if
// HasFatalFailure().
class KvmVmTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // vCPU `id` of vm_ (KVM_CREATE_VCPU + its kvm_run mapping).
  absl::StatusOr<std::unique_ptr<KvmVcpu>> CreateVcpu(uint32_t id);

  std::unique_ptr<Kvm> kvm_;
  std::unique_ptr<KvmVm> vm_;
};

}  // namespace vmm

#endif  // ACCEL_KVM_KVM_TEST_FIXTURE_H_
