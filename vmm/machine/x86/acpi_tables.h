#ifndef VMM_MACHINE_X86_ACPI_TABLES_H_
#define VMM_MACHINE_X86_ACPI_TABLES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace vmm {

// A minimal ACPI description (ACPI 6.4): RSDP -> XSDT -> FADT (PM1a event
// and control blocks and the reset register in port I/O, SCI on IRQ 9, "no
// CMOS RTC") -> DSDT (\_S5_, optionally \_PTS), and a MADT with one LAPIC per
// vCPU, the IOAPIC and the SCI override, and an MCFG with an ECAM. This is
// what lets Linux count CPUs (MADT), power off (S5 through PM1a_CNT) and
// reboot (FADT reset register).
// Not hardware-reduced: Linux then assumes no 8259/ISA IRQs (COM1's IRQ 4
// would be unmapped without AML describing the UART).
struct AcpiConfig {
  uint64_t base = 0;  // Guest-physical address of the blob; the RSDP is first.
  uint32_t num_vcpus = 1;
  uint64_t lapic_address = 0;
  uint64_t ioapic_address = 0;
  uint16_t pm1_event_port = 0;    // 4 bytes: PM1a_STS, PM1a_EN.
  uint16_t pm1_control_port = 0;  // 2 bytes: PM1a_CNT.
  uint8_t sci_irq = 9;
  uint16_t reset_port = 0;
  uint8_t reset_value = 0;
  // ECAM of PCI bus 0 (1 MiB), 0 = none: adds an MCFG table (PCI Firmware
  // 3.0 §4.1.2) so the guest can use memory-mapped config space.
  uint64_t ecam_base = 0;
  // When nonzero, the DSDT gets \_PTS (Prepare To Sleep, ACPI 6.4 §7.4.2),
  // which writes its argument, the sleep state the OSPM is about to enter,
  // to this 1-byte port. Linux evaluates \_PTS(5) on its way to poweroff,
  // before it stops the other CPUs and writes SLP_EN.
  uint16_t pts_port = 0;
  // AML appended to the DSDT body (e.g. the PCI host bridge, pci_aml.h).
  std::vector<uint8_t> dsdt_extra;
};

// The tables, laid out from config.base, checksums filled in.
absl::StatusOr<std::vector<uint8_t>> BuildAcpiTables(const AcpiConfig& config);

// The ACPI sleep type our DSDT declares for S5 (PM1_CNT.SLP_TYP).
constexpr uint8_t kAcpiS5SleepType = 5;

}  // namespace vmm

#endif  // VMM_MACHINE_X86_ACPI_TABLES_H_
