#ifndef ACCEL_KVM_KVM_VCPU_H_
#define ACCEL_KVM_KVM_VCPU_H_

#include <linux/kvm.h>
#include <pthread.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "accel/accelerator.h"
#include "vmm/base/fd.h"

namespace vmm {

// The kvm_run structure shared with the kernel, unmapped on destruction.
class KvmRunMapping {
 public:
  static absl::StatusOr<KvmRunMapping> Map(int vcpu_fd, size_t size);
  KvmRunMapping() = default;
  ~KvmRunMapping();
  KvmRunMapping(KvmRunMapping&& other) noexcept;
  KvmRunMapping& operator=(KvmRunMapping&& other) noexcept;
  KvmRunMapping(const KvmRunMapping&) = delete;
  KvmRunMapping& operator=(const KvmRunMapping&) = delete;

  kvm_run* run() const { return run_; }
  size_t size() const { return size_; }

 private:
  kvm_run* run_ = nullptr;
  size_t size_ = 0;
};

// One KVM vCPU. Kicking uses kvm_run.immediate_exit plus a real-time signal
// (with a no-op handler) sent to the thread inside KVM_RUN, so there is no
// window where a kick is lost: set before the ioctl, it makes the ioctl
// return at once; during it, the signal interrupts it (KVM API docs,
// "immediate_exit").
class KvmVcpu : public Vcpu {
 public:
  static absl::StatusOr<std::unique_ptr<KvmVcpu>> Create(int vm_fd, uint32_t id, size_t mmap_size);

  uint32_t id() const override { return id_; }
  absl::StatusOr<VcpuExit> Run() override;
  void Kick() override;
  // Registers (RIP, RSP, RFLAGS, CS/SS, CR0/2/3/4, EFER, GDTR/IDTR, TR),
  // pending events (KVM_GET_VCPU_EVENTS) and the last kExitHistory exits
  // (oldest first) for a crash report. Call it from the vCPU's own thread
  // or after that thread stopped. On AMD a KVM_EXIT_SHUTDOWN comes with
  // the VMCB already reset by KVM (svm.c shutdown_interception), so the
  // registers then show the INIT state; the exit history still shows what
  // the guest did last.
  std::string DescribeState() override;
  static constexpr size_t kExitHistory = 16;

  int fd() const { return fd_.get(); }

  // x86 setup, before the first Run().
  // CPUID from `supported` for this vCPU (APIC id = id()) in a package of
  // `num_vcpus` cores: see x86_cpuid.h.
  absl::Status SetCpuid(const std::vector<kvm_cpuid_entry2>& supported, uint32_t num_vcpus);
  // MSRs as a firmware leaves them at reset, like QEMU/Firecracker:
  // IA32_MISC_ENABLE fast strings, MTRR default type write-back (enabled),
  // and the SYSENTER/SYSCALL MSRs zeroed where `index_list`
  // (KVM_GET_MSR_INDEX_LIST) offers them.
  absl::Status SetBootMsrs(const std::vector<uint32_t>& index_list);
  // KVM_GET_MSRS of one MSR.
  absl::StatusOr<uint64_t> GetMsr(uint32_t index);
  // LINT0 = ExtINT (the 8259 output reaches this CPU; BSP only) or masked,
  // LINT1 = NMI, as a PC BIOS leaves them (Intel MP spec §3.6.2.2).
  absl::Status SetupLapicLints(bool extint);
  // 16-bit real mode at CS:IP = cs:ip, flat 64 KiB segments, interrupts off.
  absl::Status SetRealModeEntry(uint16_t cs, uint16_t ip);
  // 64-bit long mode as the Linux 64-bit boot protocol wants it (boot.rst
  // "64-bit BOOT PROTOCOL"): paging on with `cr3` (the caller's identity
  // map), GDT at `gdt_base` with flat 64-bit code at selector 0x10, data at
  // 0x18 and a busy 64-bit TSS at 0x20 (limit 0x67), RIP/RSI set and the
  // other registers zero, interrupts off.
  absl::Status SetLongModeEntry(uint64_t cr3, uint64_t gdt_base, uint16_t gdt_limit, uint64_t rip,
                                uint64_t rsi);
  // 32-bit protected mode, paging off, as the Linux 32-bit boot protocol
  // (boot.rst, ESI = boot_params) and the PVH boot ABI (Xen
  // docs/misc/pvh.pandoc, EBX = start_info) want it: flat code at selector
  // 0x10, data at 0x18, a busy 32-bit TSS at 0x20 (limit 0x67), GDT at
  // `gdt_base`, CR0 = PE, EIP/EBX/ESI set and the other registers zero,
  // interrupts off.
  absl::Status SetProtectedModeEntry(uint64_t gdt_base, uint16_t gdt_limit, uint32_t eip,
                                     uint32_t ebx, uint32_t esi);
  // KVM_MP_STATE_*: APs wait in UNINITIALIZED for INIT/SIPI.
  absl::Status SetMpState(uint32_t state);

  // The kick signal number (a real-time signal). Exposed for tests.
  static int KickSignal();

 private:
  KvmVcpu(uint32_t id, Fd fd, KvmRunMapping run)
      : id_(id), fd_(std::move(fd)), run_(std::move(run)) {}
  VcpuExit TranslateExit();
  void RecordExit();
  std::string DescribeExitHistory() const;

  // One KVM exit, as cheap to record as possible: the kvm_run exit reason
  // plus its port or address (0 for the others) and direction.
  struct ExitRecord {
    uint32_t reason = 0;
    bool write = false;
    uint64_t where = 0;
  };

  const uint32_t id_;
  Fd fd_;
  KvmRunMapping run_;
  // Ring of the last exits; touched only by the thread in Run().
  std::array<ExitRecord, kExitHistory> history_{};
  uint64_t exits_ = 0;
  absl::Mutex mu_;
  bool in_run_ ABSL_GUARDED_BY(mu_) = false;
  pthread_t thread_ ABSL_GUARDED_BY(mu_){};
};

}  // namespace vmm

#endif  // ACCEL_KVM_KVM_VCPU_H_
