#ifndef VMM_MACHINE_X86_ACPI_TABLES_H_
#define VMM_MACHINE_X86_ACPI_TABLES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace vmm {

// A minimal hardware-reduced ACPI description (ACPI 6.4): RSDP -> XSDT ->
// FADT (HW_REDUCED_ACPI, sleep control/status and reset registers in port
// I/O) -> DSDT (only \_S5_), and a MADT with one LAPIC per vCPU and the
// IOAPIC. This is what lets Linux count CPUs (MADT), power off (S5 through
// the sleep control register) and reboot (FADT reset register).
struct AcpiConfig {
  uint64_t base = 0;  // Guest-physical address of the blob; the RSDP is first.
  uint32_t num_vcpus = 1;
  uint64_t lapic_address = 0;
  uint64_t ioapic_address = 0;
  uint16_t sleep_control_port = 0;
  uint16_t sleep_status_port = 0;
  uint16_t reset_port = 0;
  uint8_t reset_value = 0;
};

// The tables, laid out from config.base, checksums filled in.
absl::StatusOr<std::vector<uint8_t>> BuildAcpiTables(const AcpiConfig& config);

// ACPI sleep type our DSDT declares for S5, and the byte Linux then writes to
// the sleep control register: SLP_TYP in bits 4:2, SLP_EN bit 5 (ACPI 6.4
// §4.8.3.7).
constexpr uint8_t kAcpiS5SleepType = 5;
constexpr uint8_t kAcpiSleepEnable = 0x20;

}  // namespace vmm

#endif  // VMM_MACHINE_X86_ACPI_TABLES_H_
