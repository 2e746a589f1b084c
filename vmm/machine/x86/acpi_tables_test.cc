#include "vmm/machine/x86/acpi_tables.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace vmm {
namespace {

constexpr uint64_t kBase = 0xe0000;

uint8_t Sum(const std::vector<uint8_t>& b, size_t off, size_t len) {
  uint8_t s = 0;
  for (size_t i = 0; i < len; ++i) s = static_cast<uint8_t>(s + b.at(off + i));
  return s;
}
uint32_t U32(const std::vector<uint8_t>& b, size_t off) {
  uint32_t v;
  std::memcpy(&v, &b.at(off), 4);
  return v;
}
uint64_t U64(const std::vector<uint8_t>& b, size_t off) {
  uint64_t v;
  std::memcpy(&v, &b.at(off), 8);
  return v;
}

AcpiConfig Config(uint32_t vcpus) {
  AcpiConfig c;
  c.base = kBase;
  c.num_vcpus = vcpus;
  c.lapic_address = 0xfee00000;
  c.ioapic_address = 0xfec00000;
  c.pm1_event_port = 0x610;
  c.pm1_control_port = 0x614;
  c.reset_port = 0x616;
  c.reset_value = 1;
  return c;
}

// Walks RSDP -> XSDT -> tables the way an OS does, checking every checksum.
TEST(AcpiTablesTest, TablesChainAndChecksum) {
  auto tables = BuildAcpiTables(Config(3));
  ASSERT_TRUE(tables.ok()) << tables.status();
  const std::vector<uint8_t>& b = *tables;
  ASSERT_EQ(std::string(b.begin(), b.begin() + 8), "RSD PTR ");
  EXPECT_EQ(Sum(b, 0, 20), 0);
  EXPECT_EQ(Sum(b, 0, 36), 0);
  size_t xsdt = U64(b, 24) - kBase;
  ASSERT_EQ(std::string(&b[xsdt], &b[xsdt] + 4), "XSDT");
  uint32_t xsdt_len = U32(b, xsdt + 4);
  EXPECT_EQ(Sum(b, xsdt, xsdt_len), 0);
  ASSERT_EQ(xsdt_len, 36u + 16u);
  size_t fadt = U64(b, xsdt + 36) - kBase;
  size_t madt = U64(b, xsdt + 44) - kBase;
  ASSERT_EQ(std::string(&b[fadt], &b[fadt] + 4), "FACP");
  EXPECT_EQ(U32(b, fadt + 4), 276u);
  EXPECT_EQ(Sum(b, fadt, 276), 0);
  EXPECT_EQ(U32(b, fadt + 112) & (1u << 20), 0u) << "not HW_REDUCED_ACPI";
  EXPECT_EQ(U32(b, fadt + 112) & (1u << 4), 0u) << "PWR_BUTTON clear: fixed power button";
  EXPECT_NE(U32(b, fadt + 112) & (1u << 5), 0u) << "SLP_BUTTON set: no sleep button";
  EXPECT_EQ(U32(b, fadt + 56), 0x610u);       // PM1a_EVT_BLK
  EXPECT_EQ(U32(b, fadt + 64), 0x614u);       // PM1a_CNT_BLK
  EXPECT_EQ(U64(b, fadt + 172 + 4), 0x614u);  // X_PM1a_CNT_BLK port...
  EXPECT_EQ(b[fadt + 172], 1);                // ...in system I/O space.
  EXPECT_EQ(b[fadt + 46], 9);                 // SCI_INT
  EXPECT_EQ(U64(b, fadt + 116 + 4), 0x616u);  // Reset register.
  size_t dsdt = U64(b, fadt + 140) - kBase;
  ASSERT_EQ(std::string(&b[dsdt], &b[dsdt] + 4), "DSDT");
  uint32_t dsdt_len = U32(b, dsdt + 4);
  EXPECT_EQ(Sum(b, dsdt, dsdt_len), 0);
  std::string aml(&b[dsdt + 36], &b[dsdt] + dsdt_len);
  EXPECT_NE(aml.find("_S5_"), std::string::npos);
  ASSERT_EQ(std::string(&b[madt], &b[madt] + 4), "APIC");
  uint32_t madt_len = U32(b, madt + 4);
  EXPECT_EQ(Sum(b, madt, madt_len), 0);
  EXPECT_EQ(U32(b, madt + 36), 0xfee00000u);
  // Entries: 3 LAPICs with ids 0,1,2 enabled, then one IOAPIC.
  size_t off = madt + 44;
  int lapics = 0, ioapics = 0, overrides = 0;
  while (off < madt + madt_len) {
    uint8_t type = b[off], len = b[off + 1];
    ASSERT_GT(len, 0);
    if (type == 0) {
      EXPECT_EQ(b[off + 3], lapics);
      EXPECT_EQ(b[off + 4] & 1, 1);
      ++lapics;
    } else if (type == 1) {
      EXPECT_EQ(U32(b, off + 4), 0xfec00000u);
      ++ioapics;
    } else if (type == 2) {
      EXPECT_EQ(b[off + 3], 9);     // Source: the SCI.
      EXPECT_EQ(b[off + 8], 0x0d);  // Level, active high.
      ++overrides;
    }
    off += len;
  }
  EXPECT_EQ(off, madt + madt_len);
  EXPECT_EQ(lapics, 3);
  EXPECT_EQ(ioapics, 1);
  EXPECT_EQ(overrides, 1);
}

// With an ECAM the XSDT gains an MCFG: one allocation, segment 0, bus 0.
TEST(AcpiTablesTest, McfgDescribesTheEcam) {
  AcpiConfig c = Config(1);
  c.ecam_base = 0xe8000000;
  auto tables = BuildAcpiTables(c);
  ASSERT_TRUE(tables.ok()) << tables.status();
  const std::vector<uint8_t>& b = *tables;
  size_t xsdt = U64(b, 24) - kBase;
  uint32_t xsdt_len = U32(b, xsdt + 4);
  ASSERT_EQ(xsdt_len, 36u + 24u);
  EXPECT_EQ(Sum(b, xsdt, xsdt_len), 0);
  size_t mcfg = U64(b, xsdt + 52) - kBase;
  ASSERT_EQ(std::string(&b[mcfg], &b[mcfg] + 4), "MCFG");
  ASSERT_EQ(U32(b, mcfg + 4), 60u);
  EXPECT_EQ(Sum(b, mcfg, 60), 0);
  EXPECT_EQ(U64(b, mcfg + 44), 0xe8000000u);  // Base address.
  EXPECT_EQ(b[mcfg + 52] | b[mcfg + 53], 0);  // Segment 0.
  EXPECT_EQ(b[mcfg + 54], 0);                 // Buses 0..0.
  EXPECT_EQ(b[mcfg + 55], 0);
  EXPECT_GE(b.size(), mcfg + 60);
}

// The DSDT part of the tables, without its header.
std::string DsdtAml(const std::vector<uint8_t>& b) {
  size_t xsdt = U64(b, 24) - kBase;
  size_t fadt = U64(b, xsdt + 36) - kBase;
  size_t dsdt = U64(b, fadt + 140) - kBase;
  uint32_t len = U32(b, dsdt + 4);
  EXPECT_EQ(Sum(b, dsdt, len), 0);
  return std::string(&b[dsdt + 36], &b[dsdt] + len);
}

TEST(AcpiTablesTest, PtsWritesItsArgumentToThePort) {
  AcpiConfig c = Config(1);
  auto plain = BuildAcpiTables(c);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(DsdtAml(*plain).find("_PTS"), std::string::npos) << "no pts_port, no _PTS";
  c.pts_port = 0x617;
  auto tables = BuildAcpiTables(c);
  ASSERT_TRUE(tables.ok()) << tables.status();
  const std::string aml = DsdtAml(*tables);
  // What iasl 20200925 emits for
  //   OperationRegion (PTSR, SystemIO, 0x0617, 0x01)
  //   Field (PTSR, ByteAcc, NoLock, Preserve) { PTSV, 8 }
  //   Method (_PTS, 1, NotSerialized) { PTSV = Arg0 }
  const std::string want(
      "\x5b\x80PTSR\x01\x0b\x17\x06\x01"
      "\x5b\x81\x0bPTSR\x01PTSV\x08"
      "\x14\x0c_PTS\x01\x70\x68PTSV",
      37);
  EXPECT_NE(aml.find(want), std::string::npos);
  EXPECT_EQ(aml.size(), DsdtAml(*plain).size() + want.size());
}

TEST(AcpiTablesTest, RejectsVcpuCountsOutsideXapicIds) {
  EXPECT_FALSE(BuildAcpiTables(Config(0)).ok());
  auto too_many = BuildAcpiTables(Config(256));
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("256"), std::string::npos);
}

}  // namespace
}  // namespace vmm
