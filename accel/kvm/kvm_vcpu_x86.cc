// x86 setup of a KVM vCPU: CPUID, LAPIC LINT pins, real-mode entry.
#include <sys/ioctl.h>

#include <cstring>

#include "absl/strings/str_format.h"
#include "accel/kvm/kvm_abi.h"
#include "accel/kvm/kvm_vcpu.h"
#include "vmm/base/errno_status.h"

namespace vmm {
namespace {

// Local APIC register offsets and LVT fields (Intel SDM vol. 3, §11.5.1).
constexpr size_t kApicLvtLint0 = 0x350;
constexpr size_t kApicLvtLint1 = 0x360;
constexpr uint32_t kLvtDeliveryModeMask = 0x700;
constexpr uint32_t kLvtDeliveryNmi = 0x400;
constexpr uint32_t kLvtDeliveryExtInt = 0x700;
constexpr uint32_t kLvtMasked = 0x10000;

uint32_t GetApicReg(const kvm_lapic_state& s, size_t off) {
  uint32_t v;
  std::memcpy(&v, s.regs + off, sizeof(v));
  return v;
}
void SetApicReg(kvm_lapic_state& s, size_t off, uint32_t v) {
  std::memcpy(s.regs + off, &v, sizeof(v));
}

}  // namespace

absl::Status KvmVcpu::SetCpuid(const std::vector<kvm_cpuid_entry2>& supported, uint32_t num_vcpus) {
  KvmCpuidBuffer cpuid(static_cast<uint32_t>(supported.size()));
  for (size_t i = 0; i < supported.size(); ++i) {
    kvm_cpuid_entry2 e = supported[i];
    switch (e.function) {
      case 1:
        // EBX[31:24] initial APIC id; EBX[23:16] logical processors per
        // package (SDM vol. 2, CPUID leaf 01H).
        e.ebx = (e.ebx & 0x0000ffff) | (id_ << 24) | ((num_vcpus & 0xff) << 16);
        if (num_vcpus > 1) e.edx |= 1u << 28;  // HTT: the field above is valid.
        // ECX[31]: running under a hypervisor; guests then look at the
        // 0x40000000 leaves KVM supplies (kvmclock, PV EOI...). KVM leaves
        // setting it to the VMM.
        e.ecx |= 1u << 31;
        break;
      case 0xb:
      case 0x1f:
        e.edx = id_;  // x2APIC id.
        break;
      default:
        break;
    }
    cpuid.set_entry(static_cast<uint32_t>(i), e);
  }
  if (::ioctl(fd(), kKvmSetCpuid2, cpuid.data()) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_SET_CPUID2 vcpu=%d", id_));
  }
  return absl::OkStatus();
}

absl::Status KvmVcpu::SetupLapicLints(bool extint) {
  kvm_lapic_state lapic{};
  if (::ioctl(fd(), KVM_GET_LAPIC, &lapic) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_GET_LAPIC vcpu=%d", id_));
  }
  uint32_t lint0 = GetApicReg(lapic, kApicLvtLint0) & ~(kLvtDeliveryModeMask | kLvtMasked);
  lint0 |= extint ? kLvtDeliveryExtInt : (kLvtDeliveryExtInt | kLvtMasked);
  uint32_t lint1 = GetApicReg(lapic, kApicLvtLint1) & ~(kLvtDeliveryModeMask | kLvtMasked);
  lint1 |= kLvtDeliveryNmi;
  SetApicReg(lapic, kApicLvtLint0, lint0);
  SetApicReg(lapic, kApicLvtLint1, lint1);
  if (::ioctl(fd(), KVM_SET_LAPIC, &lapic) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_SET_LAPIC vcpu=%d", id_));
  }
  return absl::OkStatus();
}

absl::Status KvmVcpu::SetRealModeEntry(uint16_t cs, uint16_t ip) {
  kvm_sregs sregs{};
  if (::ioctl(fd(), KVM_GET_SREGS, &sregs) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_GET_SREGS vcpu=%d", id_));
  }
  // Every segment = CS, as after a far jump from a boot loader: base
  // cs * 16, 64 KiB limit, present read/write data (code for CS).
  for (kvm_segment* seg : {&sregs.cs, &sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss}) {
    seg->selector = cs;
    seg->base = uint64_t{cs} << 4;
    seg->limit = 0xffff;
    seg->type = 0x3;  // Read/write data, accessed.
    seg->present = 1;
    seg->dpl = 0;
    seg->db = 0;
    seg->s = 1;
    seg->l = 0;
    seg->g = 0;
  }
  sregs.cs.type = 0xb;  // Execute/read code, accessed.
  sregs.cr0 &= ~1ull;   // Real mode (PE clear); the reset value otherwise.
  if (::ioctl(fd(), KVM_SET_SREGS, &sregs) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_SET_SREGS vcpu=%d", id_));
  }
  kvm_regs regs{};
  regs.rip = ip;
  regs.rflags = 0x2;  // Bit 1 is reserved-set; IF clear.
  if (::ioctl(fd(), KVM_SET_REGS, &regs) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_SET_REGS vcpu=%d", id_));
  }
  return absl::OkStatus();
}

absl::Status KvmVcpu::SetLongModeEntry(uint64_t cr3, uint64_t gdt_base, uint16_t gdt_limit,
                                       uint64_t rip, uint64_t rsi) {
  kvm_sregs sregs{};
  if (::ioctl(fd(), KVM_GET_SREGS, &sregs) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_GET_SREGS vcpu=%d", id_));
  }
  kvm_segment code{};
  code.base = 0;
  code.limit = 0xffffffff;
  code.selector = 0x10;
  code.type = 0xb;  // Execute/read, accessed.
  code.present = 1;
  code.s = 1;
  code.l = 1;  // 64-bit code segment.
  code.g = 1;
  kvm_segment data = code;
  data.selector = 0x18;
  data.type = 0x3;  // Read/write, accessed.
  data.l = 0;
  data.db = 1;
  sregs.cs = code;
  sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
  sregs.gdt.base = gdt_base;
  sregs.gdt.limit = gdt_limit;
  sregs.idt.base = 0;
  sregs.idt.limit = 0;
  // A busy 64-bit TSS descriptor state; VMX entry checks require a usable TR.
  sregs.tr.selector = 0;
  sregs.tr.base = 0;
  sregs.tr.limit = 0xffff;
  sregs.tr.type = 0xb;
  sregs.tr.present = 1;
  sregs.tr.s = 0;
  sregs.ldt.unusable = 1;
  // SDM vol. 3 §9.8.5: PAE, then EFER.LME, then CR0.PG; KVM takes the end
  // state at once. CR0: PE | MP | ET | NE | WP | PG.
  sregs.cr3 = cr3;
  sregs.cr4 = 0x20;  // PAE.
  sregs.cr0 = 0x1 | 0x2 | 0x10 | 0x20 | 0x10000 | 0x80000000;
  sregs.efer = 0x100 | 0x400;  // LME | LMA.
  if (::ioctl(fd(), KVM_SET_SREGS, &sregs) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_SET_SREGS vcpu=%d (long mode)", id_));
  }
  kvm_regs regs{};
  regs.rip = rip;
  regs.rsi = rsi;
  regs.rflags = 0x2;
  if (::ioctl(fd(), KVM_SET_REGS, &regs) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_SET_REGS vcpu=%d", id_));
  }
  return absl::OkStatus();
}

absl::Status KvmVcpu::SetMpState(uint32_t state) {
  kvm_mp_state mp{};
  mp.mp_state = state;
  if (::ioctl(fd(), KVM_SET_MP_STATE, &mp) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_SET_MP_STATE vcpu=%d state=%d", id_, state));
  }
  return absl::OkStatus();
}

}  // namespace vmm
