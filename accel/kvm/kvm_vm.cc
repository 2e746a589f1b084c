#include "accel/kvm/kvm_vm.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "absl/strings/str_format.h"
#include "accel/kvm/kvm_abi.h"
#include "accel/kvm/kvm_vcpu.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/status_macros.h"

namespace vmm {
namespace {

// ioctl that retries on EINTR (creating a VM can be interrupted).
int Ioctl(int fd, unsigned long request, unsigned long arg) {
  int r;
  do {
    r = ::ioctl(fd, request, arg);
  } while (r < 0 && errno == EINTR);
  return r;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Kvm>> Kvm::Open(const std::string& path) {
  std::unique_ptr<Kvm> kvm(new Kvm());
  kvm->fd_.Reset(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!kvm->fd_) return ErrnoStatus(absl::StrFormat("cannot open %s", path));
  int version = ::ioctl(kvm->fd(), KVM_GET_API_VERSION, 0);
  if (version != KVM_API_VERSION) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s: KVM API version %d, need %d", path, version, KVM_API_VERSION));
  }
  struct Required {
    int cap;
    const char* name;
  };
  for (const Required& r :
       {Required{KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
        Required{KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"}, Required{KVM_CAP_PIT2, "KVM_CAP_PIT2"},
        Required{KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
        Required{KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
        Required{KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE"}}) {
    if (kvm->CheckExtension(r.cap) <= 0) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s lacks the capability %s", path, r.name));
    }
  }
  int mmap_size = ::ioctl(kvm->fd(), KVM_GET_VCPU_MMAP_SIZE, 0);
  if (mmap_size < static_cast<int>(sizeof(kvm_run))) {
    return ErrnoStatus(absl::StrFormat("%s: KVM_GET_VCPU_MMAP_SIZE returned %d", path, mmap_size));
  }
  kvm->vcpu_mmap_size_ = static_cast<size_t>(mmap_size);
  int max_vcpus = kvm->CheckExtension(KVM_CAP_MAX_VCPUS);
  if (max_vcpus <= 0) max_vcpus = kvm->CheckExtension(KVM_CAP_NR_VCPUS);
  kvm->max_vcpus_ = max_vcpus > 0 ? static_cast<uint32_t>(max_vcpus) : 1;

  // KVM_GET_MSR_INDEX_LIST: with nmsrs too small it fails with E2BIG and
  // sets nmsrs to the count needed.
  for (uint32_t n = 256; n <= 65536; n *= 4) {
    std::vector<uint32_t> list(1 + n, 0);
    list[0] = n;
    if (::ioctl(kvm->fd(), kKvmGetMsrIndexList, list.data()) == 0) {
      kvm->msr_index_list_.assign(list.begin() + 1, list.begin() + 1 + std::min(list[0], n));
      break;
    }
    if (errno != E2BIG) return ErrnoStatus(absl::StrFormat("%s: KVM_GET_MSR_INDEX_LIST", path));
  }

  // KVM_GET_SUPPORTED_CPUID fails with E2BIG until the buffer is big enough.
  for (uint32_t nent = 64; nent <= 4096; nent *= 2) {
    KvmCpuidBuffer cpuid(nent);
    if (::ioctl(kvm->fd(), kKvmGetSupportedCpuid, cpuid.data()) == 0) {
      uint32_t n = std::min(cpuid.nent(), nent);
      for (uint32_t i = 0; i < n; ++i) kvm->supported_cpuid_.push_back(cpuid.entry(i));
      kvm->AddCapabilityOnlyCpuidBits();
      return kvm;
    }
    if (errno != E2BIG) return ErrnoStatus(absl::StrFormat("%s: KVM_GET_SUPPORTED_CPUID", path));
  }
  return absl::InternalError(
      absl::StrFormat("%s: KVM_GET_SUPPORTED_CPUID needs > 4096 entries", path));
}

int Kvm::CheckExtension(int cap) const { return ::ioctl(fd(), KVM_CHECK_EXTENSION, cap); }

void Kvm::AddCapabilityOnlyCpuidBits() {
  // The TSC-deadline LAPIC timer mode is emulated by KVM but reported only
  // through KVM_CAP_TSC_DEADLINE_TIMER, never by KVM_GET_SUPPORTED_CPUID
  // (KVM API doc, KVM_GET_SUPPORTED_CPUID). Guests then arm their timer with
  // one WRMSR instead of an LVT/TMICT write sequence; QEMU sets it the same way.
  constexpr uint32_t kCpuid1EcxTscDeadline = 1u << 24;
  if (CheckExtension(KVM_CAP_TSC_DEADLINE_TIMER) <= 0) return;
  for (kvm_cpuid_entry2& e : supported_cpuid_) {
    if (e.function == 1) e.ecx |= kCpuid1EcxTscDeadline;
  }
}

absl::StatusOr<std::unique_ptr<KvmVm>> KvmVm::Create(const Kvm* kvm) {
  int fd = Ioctl(kvm->fd(), KVM_CREATE_VM, 0);
  if (fd < 0) return ErrnoStatus("KVM_CREATE_VM");
  std::unique_ptr<KvmVm> vm(new KvmVm(kvm, Fd(fd)));
  RETURN_IF_ERROR(vm->SetupX86Platform());
  return vm;
}

absl::Status KvmVm::SetupX86Platform() {
  // Intel VMX needs these for real-mode guests without unrestricted guest;
  // harmless elsewhere (KVM API docs, KVM_SET_TSS_ADDR).
  if (::ioctl(fd(), KVM_SET_TSS_ADDR, static_cast<unsigned long>(kTssAddress)) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_SET_TSS_ADDR 0x%x", kTssAddress));
  }
  uint64_t identity = kIdentityMapAddress;
  if (kvm_->CheckExtension(KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0 &&
      ::ioctl(fd(), KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_SET_IDENTITY_MAP_ADDR 0x%x", identity));
  }
  // PIC + IOAPIC in the kernel (the LAPICs come with each vCPU).
  if (::ioctl(fd(), KVM_CREATE_IRQCHIP, 0) < 0) return ErrnoStatus("KVM_CREATE_IRQCHIP");
  kvm_pit_config pit{};
  pit.flags = KVM_PIT_SPEAKER_DUMMY;  // Port 0x61 reads work without a speaker device.
  if (::ioctl(fd(), KVM_CREATE_PIT2, &pit) < 0) return ErrnoStatus("KVM_CREATE_PIT2");
  return absl::OkStatus();
}

absl::Status KvmVm::MapMemory(const GuestMemory& memory) {
  for (const HostRegion& region : memory.HostRegionsForAccelerator()) {
    kvm_userspace_memory_region slot{};
    slot.slot = next_slot_;
    slot.guest_phys_addr = region.guest_start.value();
    slot.memory_size = region.size;
    slot.userspace_addr = reinterpret_cast<uint64_t>(region.host);
    if (::ioctl(fd(), KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
      return ErrnoStatus(absl::StrFormat("KVM_SET_USER_MEMORY_REGION slot=%d gpa=0x%x size=0x%x",
                                         slot.slot, slot.guest_phys_addr, slot.memory_size));
    }
    ++next_slot_;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Vcpu>> KvmVm::CreateVcpu(uint32_t id) {
  ASSIGN_OR_RETURN(std::unique_ptr<KvmVcpu> vcpu,
                   KvmVcpu::Create(fd(), id, kvm_->vcpu_mmap_size()));
  return std::unique_ptr<Vcpu>(std::move(vcpu));
}

absl::Status KvmVm::SetIrqLine(uint32_t gsi, bool level) {
  kvm_irq_level irq{};
  irq.irq = gsi;
  irq.level = level ? 1 : 0;
  if (::ioctl(fd(), KVM_IRQ_LINE, &irq) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_IRQ_LINE gsi=%d level=%d", gsi, irq.level));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<KvmAccelerator>> KvmAccelerator::Open(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<Kvm> kvm, Kvm::Open(path));
  return std::unique_ptr<KvmAccelerator>(new KvmAccelerator(std::move(kvm)));
}

absl::StatusOr<std::unique_ptr<AcceleratorVm>> KvmAccelerator::CreateVm() {
  ASSIGN_OR_RETURN(std::unique_ptr<KvmVm> vm, KvmVm::Create(kvm_.get()));
  return std::unique_ptr<AcceleratorVm>(std::move(vm));
}

}  // namespace vmm
