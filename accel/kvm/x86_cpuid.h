#ifndef ACCEL_KVM_X86_CPUID_H_
#define ACCEL_KVM_X86_CPUID_H_

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

namespace vmm {

// The CPUID table one vCPU gets, built from KVM_GET_SUPPORTED_CPUID the way
// QEMU/Firecracker do, for a topology of one socket with `num_vcpus` cores,
// one thread each, APIC id = vCPU index:
//   0x1        EBX initial APIC id and logical count, EDX.HTT, ECX.hypervisor
//   0x4        (Intel) cores per package, threads sharing each cache
//   0xB, 0x1F  (when the max basic leaf reaches them) SMT and core levels
//   0xD        XSAVE sizes from the supported XCR0 components (SDM vol. 1
//              §13.2): ECX = EBX = end of the last supported component
//   0x80000001 (AMD) CmpLegacy for multi-core
//   0x80000008 (AMD) ECX cores per package and APIC id core bits
//   0x8000001E (AMD) extended APIC id, core id, node 0
// The hypervisor leaves 0x40000000.. (KVMKVMKVM, kvmclock etc.) pass through.
std::vector<kvm_cpuid_entry2> BuildVcpuCpuid(const std::vector<kvm_cpuid_entry2>& supported,
                                             uint32_t apic_id, uint32_t num_vcpus);

// Bits of the APIC id that number cores: ceil(log2(num_vcpus)).
uint32_t CoreIdBits(uint32_t num_vcpus);

}  // namespace vmm

#endif  // ACCEL_KVM_X86_CPUID_H_
