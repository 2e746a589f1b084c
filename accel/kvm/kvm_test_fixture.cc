#include "accel/kvm/kvm_test_fixture.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "vmm/base/errno_status.h"

namespace vmm {

absl::StatusOr<OpenedKvmVm> OpenKvmVm(const std::string& path) {
  OpenedKvmVm opened;
  absl::StatusOr<std::unique_ptr<Kvm>> kvm = Kvm::Open(path);
  if (!kvm.ok()) return kvm.status();
  opened.kvm = std::move(*kvm);
  absl::StatusOr<std::unique_ptr<KvmVm>> vm = KvmVm::Create(opened.kvm.get());
  if (!vm.ok()) {
    return absl::Status(vm.status().code(),
                        absl::StrCat("KVM_CREATE_VM on ", path, ": ", vm.status().message()));
  }
  opened.vm = std::move(*vm);
  return opened;
}

absl::Status SoftwareEnableLapic(const KvmVcpu& vcpu) {
  kvm_lapic_state lapic{};
  if (::ioctl(vcpu.fd(), KVM_GET_LAPIC, &lapic) != 0) return ErrnoStatus("KVM_GET_LAPIC");
  constexpr uint32_t kSvr = 0x1ff;  // Enable bit 8, spurious vector 0xff.
  std::memcpy(&lapic.regs[0xf0], &kSvr, sizeof(kSvr));
  if (::ioctl(vcpu.fd(), KVM_SET_LAPIC, &lapic) != 0) return ErrnoStatus("KVM_SET_LAPIC");
  return absl::OkStatus();
}

void KvmVmTest::SetUp() {
  absl::StatusOr<OpenedKvmVm> opened = OpenKvmVm();
  ASSERT_TRUE(opened.ok()) << opened.status();
  kvm_ = std::move(opened->kvm);
  vm_ = std::move(opened->vm);
}

absl::StatusOr<std::unique_ptr<KvmVcpu>> KvmVmTest::CreateVcpu(uint32_t id) {
  return KvmVcpu::Create(vm_->fd(), id, kvm_->vcpu_mmap_size());
}

}  // namespace vmm
