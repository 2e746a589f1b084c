// x86 setup of a KVM vCPU: CPUID, MSRs, LAPIC LINT pins, entry state.
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"
#include "accel/kvm/kvm_abi.h"
#include "accel/kvm/kvm_vcpu.h"
#include "accel/kvm/x86_cpuid.h"
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

// The flat segments both kernel entries start on (boot.rst, pvh.pandoc):
// 4 GiB code at selector 0x10 (64-bit with `long_mode`, else 32-bit), data
// at 0x18, a busy TSS at 0x20 (VM entry wants a usable TR, SDM vol. 3
// §7.2.3), no LDT, the GDT at `gdt_base`, no IDT.
void SetFlatBootSegments(kvm_sregs* sregs, bool long_mode, uint64_t gdt_base,
                         uint16_t gdt_limit) {
  kvm_segment code{};
  code.limit = 0xffffffff;
  code.selector = 0x10;
  code.type = 0xb;  // Execute/read, accessed.
  code.present = 1;
  code.s = 1;
  code.l = long_mode ? 1 : 0;   // 64-bit code wants D = 0,
  code.db = long_mode ? 0 : 1;  // 32-bit code D = 1.
  code.g = 1;
  kvm_segment data = code;
  data.selector = 0x18;
  data.type = 0x3;  // Read/write, accessed.
  data.l = 0;
  data.db = 1;
  sregs->cs = code;
  sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
  sregs->tr = kvm_segment{};
  sregs->tr.selector = 0x20;
  sregs->tr.limit = 0x67;
  sregs->tr.type = 0xb;  // Busy TSS (32- or 64-bit: the same type).
  sregs->tr.present = 1;
  sregs->ldt.unusable = 1;
  sregs->gdt.base = gdt_base;
  sregs->gdt.limit = gdt_limit;
  sregs->idt.base = 0;
  sregs->idt.limit = 0;
}

}  // namespace

absl::Status KvmVcpu::SetCpuid(const std::vector<kvm_cpuid_entry2>& supported, uint32_t num_vcpus) {
  const std::vector<kvm_cpuid_entry2> table = BuildVcpuCpuid(supported, id_, num_vcpus);
  KvmCpuidBuffer cpuid(static_cast<uint32_t>(table.size()));
  for (size_t i = 0; i < table.size(); ++i) cpuid.set_entry(static_cast<uint32_t>(i), table[i]);
  if (::ioctl(fd(), kKvmSetCpuid2, cpuid.data()) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_SET_CPUID2 vcpu=%d", id_));
  }
  return absl::OkStatus();
}

absl::Status KvmVcpu::SetBootMsrs(const std::vector<uint32_t>& index_list) {
  // SDM vol. 4 (MSR index), vol. 3 §11.11.2.1 (IA32_MTRR_DEF_TYPE).
  constexpr uint32_t kMiscEnable = 0x1a0;
  constexpr uint64_t kMiscEnableFastStrings = 1u << 0;
  constexpr uint32_t kMtrrDefType = 0x2ff;
  constexpr uint64_t kMtrrEnable = 1u << 11;
  constexpr uint64_t kMemTypeWriteBack = 6;
  std::vector<kvm_msr_entry> entries;
  auto add = [&entries](uint32_t index, uint64_t value) {
    kvm_msr_entry e{};
    e.index = index;
    e.data = value;
    entries.push_back(e);
  };
  add(kMiscEnable, kMiscEnableFastStrings);
  add(kMtrrDefType, kMtrrEnable | kMemTypeWriteBack);
  // SYSENTER_CS/ESP/EIP, STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE: zero.
  for (uint32_t index : {0x174u, 0x175u, 0x176u, 0xc0000081u, 0xc0000082u, 0xc0000083u,
                         0xc0000084u, 0xc0000102u}) {
    if (std::find(index_list.begin(), index_list.end(), index) != index_list.end()) add(index, 0);
  }
  KvmMsrBuffer buf(entries);
  // KVM_SET_MSRS returns how many it set, stopping at the first refused.
  int n = ::ioctl(fd(), kKvmSetMsrs, buf.data());
  if (n < 0) return ErrnoStatus(absl::StrFormat("KVM_SET_MSRS vcpu=%d", id_));
  if (static_cast<size_t>(n) != entries.size()) {
    return absl::InternalError(absl::StrFormat("KVM_SET_MSRS vcpu=%d: KVM refused MSR 0x%x = 0x%x",
                                               id_, entries[n].index, entries[n].data));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> KvmVcpu::GetMsr(uint32_t index) {
  kvm_msr_entry e{};
  e.index = index;
  KvmMsrBuffer buf({e});
  int n = ::ioctl(fd(), kKvmGetMsrs, buf.data());
  if (n < 0) return ErrnoStatus(absl::StrFormat("KVM_GET_MSRS vcpu=%d msr=0x%x", id_, index));
  if (n != 1) {
    return absl::NotFoundError(absl::StrFormat("KVM_GET_MSRS vcpu=%d: no MSR 0x%x", id_, index));
  }
  return buf.entry(0).data;
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
  SetFlatBootSegments(&sregs, /*long_mode=*/true, gdt_base, gdt_limit);
  // The end state of SDM vol. 3 "Initializing IA-32e Mode" (PAE, EFER.LME,
  // then CR0.PG), which KVM takes at once. CR0: PE | MP | ET | NE | WP | PG.
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
  regs.rflags = 0x2;  // IF clear.
  if (::ioctl(fd(), KVM_SET_REGS, &regs) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_SET_REGS vcpu=%d", id_));
  }
  return absl::OkStatus();
}

absl::Status KvmVcpu::SetProtectedModeEntry(uint64_t gdt_base, uint16_t gdt_limit,
                                            uint32_t eip, uint32_t ebx, uint32_t esi) {
  kvm_sregs sregs{};
  if (::ioctl(fd(), KVM_GET_SREGS, &sregs) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_GET_SREGS vcpu=%d", id_));
  }
  SetFlatBootSegments(&sregs, /*long_mode=*/false, gdt_base, gdt_limit);
  sregs.cr0 = 0x1 | 0x10;  // PE, and ET which is hardwired to 1.
  sregs.cr3 = 0;
  sregs.cr4 = 0;
  sregs.efer = 0;
  if (::ioctl(fd(), KVM_SET_SREGS, &sregs) < 0) {
    return ErrnoStatus(absl::StrFormat("KVM_SET_SREGS vcpu=%d (32-bit protected mode)", id_));
  }
  kvm_regs regs{};
  regs.rip = eip;
  regs.rbx = ebx;
  regs.rsi = esi;
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
