#include "vmm/machine/x86/acpi_tables.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace vmm {
namespace {

// Little-endian writer into a growing table.
class Table {
 public:
  explicit Table(const char* signature, uint8_t revision, uint32_t length) : b_(length, 0) {
    std::memcpy(b_.data(), signature, 4);
    Put32(4, length);
    b_[8] = revision;
    std::memcpy(&b_[10], "VMMOEM", 6);     // OEMID.
    std::memcpy(&b_[16], "VMMTABLE", 8);   // OEM table id.
    Put32(24, 1);                          // OEM revision.
    std::memcpy(&b_[28], "VMM ", 4);       // Creator id.
    Put32(32, 1);                          // Creator revision.
  }
  void Put8(size_t off, uint8_t v) { b_[off] = v; }
  void Put16(size_t off, uint16_t v) { std::memcpy(&b_[off], &v, 2); }
  void Put32(size_t off, uint32_t v) { std::memcpy(&b_[off], &v, 4); }
  void Put64(size_t off, uint64_t v) { std::memcpy(&b_[off], &v, 8); }
  void Append(const std::vector<uint8_t>& bytes) {
    b_.insert(b_.end(), bytes.begin(), bytes.end());
    Put32(4, static_cast<uint32_t>(b_.size()));
  }
  // Generic Address Structure for a byte-wide I/O port (ACPI 6.4 §5.2.3.2).
  void PutIoGas(size_t off, uint16_t port, uint8_t bits) {
    Put8(off, 1);         // System I/O space.
    Put8(off + 1, bits);  // Register bit width.
    Put8(off + 2, 0);     // Bit offset.
    Put8(off + 3, bits >= 16 ? 2 : 1);  // Word or byte access.
    Put64(off + 4, port);
  }
  std::vector<uint8_t> Finish() {
    b_[9] = 0;
    uint8_t sum = 0;
    for (uint8_t c : b_) sum = static_cast<uint8_t>(sum + c);
    b_[9] = static_cast<uint8_t>(-sum);
    return b_;
  }

 private:
  std::vector<uint8_t> b_;
};

uint8_t Checksum(const uint8_t* p, size_t n) {
  uint8_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum = static_cast<uint8_t>(sum + p[i]);
  return static_cast<uint8_t>(-sum);
}

constexpr size_t kHeaderSize = 36;
constexpr size_t kRsdpSize = 36;

// DSDT body: Name (_S5_, Package (2) { 5, 0 }) in AML (ACPI 6.4 §20.2.5),
// and with a pts_port
//   OperationRegion (PTSR, SystemIO, pts_port, 1)
//   Field (PTSR, ByteAcc, NoLock, Preserve) { PTSV, 8 }
//   Method (_PTS, 1, NotSerialized) { PTSV = Arg0 }
// (the bytes iasl produces for that ASL).
std::vector<uint8_t> DsdtBody(uint16_t pts_port) {
  std::vector<uint8_t> aml = {0x08, '_', 'S', '5', '_',  // NameOp, NameString.
                              0x12, 0x05, 0x02,          // PackageOp, PkgLength 5, 2 elements.
                              0x0a, kAcpiS5SleepType,    // BytePrefix 5.
                              0x00};                     // ZeroOp.
  if (pts_port == 0) return aml;
  const std::vector<uint8_t> pts = {
      0x5b, 0x80, 'P', 'T', 'S', 'R', 0x01,  // OpRegionOp PTSR, SystemIO,
      0x0b, static_cast<uint8_t>(pts_port), static_cast<uint8_t>(pts_port >> 8),  // WordPrefix,
      0x01,                                                      // OneOp (length).
      0x5b, 0x81, 0x0b, 'P', 'T', 'S', 'R', 0x01,  // FieldOp, PkgLength 11, PTSR, ByteAcc,
      'P', 'T', 'S', 'V', 0x08,                    //   PTSV: 8 bits.
      0x14, 0x0c, '_', 'P', 'T', 'S', 0x01,        // MethodOp, PkgLength 12, _PTS, 1 arg,
      0x70, 0x68, 'P', 'T', 'S', 'V'};             //   StoreOp Arg0Op PTSV.
  aml.insert(aml.end(), pts.begin(), pts.end());
  return aml;
}

std::vector<uint8_t> Fadt(uint64_t dsdt, const AcpiConfig& c) {
  Table t("FACP", 6, 276);  // FADT revision 6 layout (ACPI 6.4 §5.2.9).
  t.Put8(131, 4);           // FADT minor version (6.4).
  t.Put32(40, static_cast<uint32_t>(dsdt));
  t.Put64(140, dsdt);  // X_DSDT.
  t.Put16(46, c.sci_irq);
  // SMI_CMD = 0: no ACPI enable handshake, PM1_CNT.SCI_EN already reads 1.
  t.Put32(56, c.pm1_event_port);    // PM1a_EVT_BLK
  t.Put32(64, c.pm1_control_port);  // PM1a_CNT_BLK
  t.Put8(88, 4);                    // PM1_EVT_LEN
  t.Put8(89, 2);                    // PM1_CNT_LEN
  t.PutIoGas(148, c.pm1_event_port, 32);    // X_PM1a_EVT_BLK
  t.PutIoGas(172, c.pm1_control_port, 16);  // X_PM1a_CNT_BLK
  // IAPC_BOOT_ARCH: "CMOS RTC not present" (bit 5): there is none, and
  // Linux otherwise spends seconds probing it.
  t.Put16(109, 1u << 5);
  // Flags: WBINVD (bit 0); PWR_BUTTON (bit 4) clear = the power button is
  // the fixed-feature one in PM1 (PWRBTN_STS/EN, what StopVm presses);
  // SLP_BUTTON (bit 5) set = no sleep button; RESET_REG_SUP (bit 10).
  t.Put32(112, (1u << 0) | (1u << 5) | (1u << 10));
  t.PutIoGas(116, c.reset_port, 8);
  t.Put8(128, c.reset_value);
  return t.Finish();
}

std::vector<uint8_t> Madt(const AcpiConfig& c) {
  Table t("APIC", 5, kHeaderSize + 8);  // ACPI 6.4 §5.2.12.
  t.Put32(36, static_cast<uint32_t>(c.lapic_address));
  t.Put32(40, 1);  // PCAT_COMPAT: there are 8259s too.
  for (uint32_t i = 0; i < c.num_vcpus; ++i) {
    // Processor Local APIC: type 0, length 8, UID, APIC id, Enabled.
    t.Append({0, 8, static_cast<uint8_t>(i), static_cast<uint8_t>(i), 1, 0, 0, 0});
  }
  // I/O APIC: type 1, length 12, id, reserved, address, GSI base 0.
  std::vector<uint8_t> ioapic = {1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  uint32_t addr = static_cast<uint32_t>(c.ioapic_address);
  std::memcpy(&ioapic[4], &addr, 4);
  t.Append(ioapic);
  // Interrupt Source Override for the SCI: ISA IRQ 9 -> GSI 9, level
  // triggered, active high (flags 0x000d), as QEMU does; with the ACPI
  // default (active low) the in-kernel IOAPIC would see an idle line as
  // asserted.
  t.Append({2, 10, 0, c.sci_irq, c.sci_irq, 0, 0, 0, 0x0d, 0x00});
  return t.Finish();
}

// MCFG (PCI Firmware 3.0 §4.1.2): one allocation, segment 0, buses 0..0.
std::vector<uint8_t> Mcfg(uint64_t ecam_base) {
  Table t("MCFG", 1, kHeaderSize + 8 + 16);
  t.Put64(44, ecam_base);
  t.Put16(52, 0);  // PCI segment group.
  t.Put8(54, 0);   // Start bus.
  t.Put8(55, 0);   // End bus.
  return t.Finish();
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> BuildAcpiTables(const AcpiConfig& c) {
  if (c.num_vcpus == 0 || c.num_vcpus > 255) {
    return absl::InvalidArgumentError(
        absl::StrFormat("ACPI MADT: %d vCPUs, xAPIC ids allow 1..255", c.num_vcpus));
  }
  auto align = [](size_t v) { return (v + 15) / 16 * 16; };
  std::vector<uint8_t> dsdt_table;
  {
    Table dsdt("DSDT", 2, kHeaderSize);
    dsdt.Append(DsdtBody(c.pts_port));
    dsdt.Append(c.dsdt_extra);
    dsdt_table = dsdt.Finish();
  }
  std::vector<uint8_t> madt = Madt(c);
  std::vector<uint8_t> mcfg;
  if (c.ecam_base != 0) mcfg = Mcfg(c.ecam_base);
  const size_t xsdt_off = align(kRsdpSize);
  const size_t xsdt_size = kHeaderSize + (mcfg.empty() ? 2 : 3) * 8;
  const size_t fadt_off = align(xsdt_off + xsdt_size);
  const size_t dsdt_off = align(fadt_off + 276);
  const size_t madt_off = align(dsdt_off + dsdt_table.size());
  const size_t mcfg_off = align(madt_off + madt.size());
  std::vector<uint8_t> fadt = Fadt(c.base + dsdt_off, c);

  Table xsdt("XSDT", 1, xsdt_size);
  xsdt.Put64(36, c.base + fadt_off);
  xsdt.Put64(44, c.base + madt_off);
  if (!mcfg.empty()) xsdt.Put64(52, c.base + mcfg_off);
  std::vector<uint8_t> xsdt_table = xsdt.Finish();

  // RSDP, ACPI 2.0+ form (ACPI 6.4 §5.2.5.3).
  std::vector<uint8_t> rsdp(kRsdpSize, 0);
  auto put = [&rsdp](size_t off, const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    std::copy(b, b + n, rsdp.begin() + static_cast<std::ptrdiff_t>(off));
  };
  put(0, "RSD PTR ", 8);
  put(9, "VMMOEM", 6);
  rsdp[15] = 2;  // Revision.
  uint32_t length = kRsdpSize;
  put(20, &length, 4);
  uint64_t xsdt_addr = c.base + xsdt_off;
  put(24, &xsdt_addr, 8);
  rsdp[8] = Checksum(rsdp.data(), 20);
  rsdp[32] = Checksum(rsdp.data(), kRsdpSize);

  std::vector<uint8_t> out(mcfg.empty() ? madt_off + madt.size() : mcfg_off + mcfg.size(), 0);
  auto place = [&out](size_t off, const std::vector<uint8_t>& t) {
    std::copy(t.begin(), t.end(), out.begin() + static_cast<std::ptrdiff_t>(off));
  };
  place(0, rsdp);
  place(xsdt_off, xsdt_table);
  place(fadt_off, fadt);
  place(dsdt_off, dsdt_table);
  place(madt_off, madt);
  if (!mcfg.empty()) place(mcfg_off, mcfg);
  return out;
}

}  // namespace vmm
