#include "accel/kvm/x86_cpuid.h"

#include <algorithm>

namespace vmm {
namespace {

constexpr uint32_t kAmdVendorEbx = 0x68747541;  // "Auth" of AuthenticAMD.

// XSAVE components 0 and 1 (x87, SSE) live in the 512-byte legacy area; the
// 64-byte header follows (SDM vol. 1 §13.4).
constexpr uint32_t kXsaveLegacySize = 512 + 64;

const kvm_cpuid_entry2* Find(const std::vector<kvm_cpuid_entry2>& t, uint32_t function,
                             uint32_t index = 0) {
  for (const kvm_cpuid_entry2& e : t) {
    if (e.function != function) continue;
    if ((e.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e.index != index) continue;
    return &e;
  }
  return nullptr;
}

// Leaf 0xB/0x1F subleaf `level`: 0 = SMT, 1 = core, 2 = invalid (ends the
// enumeration). SDM vol. 2 "CPUID—Leaf 0BH".
kvm_cpuid_entry2 TopologyEntry(uint32_t function, uint32_t level, uint32_t apic_id,
                               uint32_t num_vcpus) {
  kvm_cpuid_entry2 e{};
  e.function = function;
  e.index = level;
  e.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
  e.edx = apic_id;
  switch (level) {
    case 0:  // One thread per core: 0 bits to shift, 1 logical processor.
      e.eax = 0;
      e.ebx = 1;
      e.ecx = 0 | (1u << 8);
      break;
    case 1:  // Cores: all vCPUs in the one package.
      e.eax = CoreIdBits(num_vcpus);
      e.ebx = num_vcpus;
      e.ecx = 1 | (2u << 8);
      break;
    default:
      e.ecx = level;  // Level type 0: invalid.
      break;
  }
  return e;
}

}  // namespace

uint32_t CoreIdBits(uint32_t num_vcpus) {
  uint32_t bits = 0;
  while ((1u << bits) < num_vcpus) ++bits;
  return bits;
}

std::vector<kvm_cpuid_entry2> BuildVcpuCpuid(const std::vector<kvm_cpuid_entry2>& supported,
                                             uint32_t apic_id, uint32_t num_vcpus) {
  num_vcpus = std::max(num_vcpus, 1u);
  const kvm_cpuid_entry2* leaf0 = Find(supported, 0);
  const uint32_t max_basic = leaf0 != nullptr ? leaf0->eax : 0;
  const bool amd = leaf0 != nullptr && leaf0->ebx == kAmdVendorEbx;
  const uint32_t core_bits = CoreIdBits(num_vcpus);

  // XSAVE: the largest end offset of any supported component.
  uint32_t xsave_max = kXsaveLegacySize;
  if (const kvm_cpuid_entry2* d0 = Find(supported, 0xd, 0)) {
    const uint64_t xcr0 = d0->eax | (uint64_t{d0->edx} << 32);
    for (uint32_t i = 2; i < 64; ++i) {
      if (!(xcr0 & (uint64_t{1} << i))) continue;
      const kvm_cpuid_entry2* c = Find(supported, 0xd, i);
      if (c != nullptr && c->eax != 0) xsave_max = std::max(xsave_max, c->ebx + c->eax);
    }
  }

  std::vector<kvm_cpuid_entry2> out;
  out.reserve(supported.size() + 6);
  for (kvm_cpuid_entry2 e : supported) {
    switch (e.function) {
      case 0x1:
        // EBX[31:24] initial APIC id; EBX[23:16] logical processors per
        // package, valid with EDX.HTT (SDM vol. 2, CPUID leaf 01H).
        e.ebx = (e.ebx & 0x0000ffff) | (apic_id << 24) | ((num_vcpus & 0xff) << 16);
        if (num_vcpus > 1) {
          e.edx |= 1u << 28;
        } else {
          e.edx &= ~(1u << 28);
        }
        // ECX[31]: running under a hypervisor; guests then look at the
        // 0x40000000 leaves (kvmclock, PV EOI...). KVM leaves it to the VMM.
        e.ecx |= 1u << 31;
        break;
      case 0x4:
        // EAX[31:26] cores per package - 1, EAX[25:14] threads sharing this
        // cache - 1: L1/L2 per core, L3 per package. Type 0 = no more caches.
        if ((e.eax & 0x1f) != 0) {
          const uint32_t level = (e.eax >> 5) & 0x7;
          const uint32_t sharing = level >= 3 ? (1u << core_bits) - 1 : 0;
          e.eax = (e.eax & 0x3fff) | (sharing << 14) | (((1u << core_bits) - 1) << 26);
        } else {
          e.eax = 0;
        }
        break;
      case 0xb:
      case 0x1f:
        continue;  // Rebuilt below.
      case 0xd:
        if (e.index == 0) {
          // EBX is the size for the current XCR0. KVM rewrites it when it
          // sees XSETBV; start with every supported component enabled, what
          // Linux sets, so the value is right even where XSETBV is not
          // intercepted (TCG's nested SVM in tools/kvmlab).
          e.ecx = xsave_max;
          e.ebx = xsave_max;
        }
        break;
      case 0x80000001:
        if (amd && num_vcpus > 1) {
          e.ecx |= 1u << 1;  // CmpLegacy: cores per package in 0x80000008.
        } else if (amd) {
          e.ecx &= ~(1u << 1);
        }
        break;
      case 0x80000008:
        // AMD APM vol. 3, E.4.7: ECX[15:12] ApicIdSize, ECX[7:0] NC.
        if (amd) e.ecx = (e.ecx & ~0xf0ffu) | (core_bits << 12) | ((num_vcpus - 1) & 0xff);
        break;
      case 0x8000001e:
        // AMD APM vol. 3, E.4.15: extended APIC id; core id, 1 thread per
        // core; node 0, 1 node per package.
        e.eax = apic_id;
        e.ebx = apic_id & 0xff;
        e.ecx = 0;
        e.edx = 0;
        break;
      default:
        break;
    }
    out.push_back(e);
  }
  if (max_basic >= 0xb) {
    for (uint32_t level = 0; level < 3; ++level) {
      out.push_back(TopologyEntry(0xb, level, apic_id, num_vcpus));
    }
  }
  if (max_basic >= 0x1f) {
    for (uint32_t level = 0; level < 3; ++level) {
      out.push_back(TopologyEntry(0x1f, level, apic_id, num_vcpus));
    }
  }
  return out;
}

}  // namespace vmm
