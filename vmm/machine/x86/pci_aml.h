#ifndef VMM_MACHINE_X86_PCI_AML_H_
#define VMM_MACHINE_X86_PCI_AML_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vmm {

// The PCI host bridge as ACPI describes it, for the DSDT. Without a
// PNP0A03 device Linux (with ACPI) never scans PCI bus 0 even though
// mechanism #1 works: it enumerates root bridges only from the namespace.
struct PciHostBridgeConfig {
  uint64_t window_base = 0;  // 32-bit MMIO window for BARs.
  uint64_t window_size = 0;
  uint32_t first_intx_gsi = 16;  // Slot s pin p -> GSI first + (s - 1 + p) % 8.
  // ECAM of bus 0 (1 MiB), 0 = none. Described by the MCFG table; here it
  // gets a PNP0C02 motherboard resource, which Linux requires before it
  // trusts an MCFG region (arch/x86/pci/mmconfig-shared.c).
  uint64_t ecam_base = 0;
};

// AML (ACPI 6.4 §20) for
//   Scope (\_SB) { Device (PCI0) {
//     Name (_HID, EisaId ("PNP0A03"))  Name (_UID, 0)  Name (_BBN, 0)
//     Name (_CRS, ResourceTemplate () { bus 0; IO 0xCF8/8; I/O 0-0xCF7 and
//                 0xD00-0xFFFF; the memory window })
//     Name (_PRT, Package () { slots 1..31, pins A..D -> IOAPIC GSIs }) }
//   Device (MRES) { Name (_HID, EisaId ("PNP0C02"))  Name (_UID, 1)
//     Name (_CRS, ResourceTemplate () { Memory32Fixed (the ECAM) }) } }
// (MRES only with an ECAM)
// to append to the DSDT body. INTx from _PRT with a GSI source is level,
// active low (ACPI 6.4 §6.2.13); KVM_IRQ_LINE level 1 means asserted
// whatever polarity the guest programs into the IOAPIC.
std::vector<uint8_t> PciHostBridgeAml(const PciHostBridgeConfig& config);

// AML PkgLength (ACPI 6.4 §20.2.4) for `content` bytes that follow it.
std::vector<uint8_t> AmlPkgLength(size_t content);

}  // namespace vmm

#endif  // VMM_MACHINE_X86_PCI_AML_H_
