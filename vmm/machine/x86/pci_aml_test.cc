#include "vmm/machine/x86/pci_aml.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "vmm/machine/x86/acpi_tables.h"

namespace vmm {
namespace {

using Bytes = std::vector<uint8_t>;

// Decodes a PkgLength at `p`: (value, bytes used).
std::pair<size_t, size_t> DecodePkgLength(const uint8_t* p) {
  const size_t extra = p[0] >> 6;
  if (extra == 0) return {p[0] & 0x3f, 1};
  size_t v = p[0] & 0x0f;
  for (size_t i = 0; i < extra; ++i) v |= size_t{p[1 + i]} << (4 + 8 * i);
  return {v, 1 + extra};
}

bool Contains(const Bytes& hay, const Bytes& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

TEST(AmlPkgLength, Encodings) {
  // ACPI 6.4 §20.2.4: the length includes the PkgLength bytes.
  EXPECT_EQ(AmlPkgLength(0), Bytes({0x01}));
  EXPECT_EQ(AmlPkgLength(62), Bytes({0x3f}));
  EXPECT_EQ(AmlPkgLength(63), Bytes({0x40 | 1, 0x04}));  // 65 = 0x41.
  EXPECT_EQ(AmlPkgLength(4093), Bytes({0x40 | 0xf, 0xff}));  // 4095.
  EXPECT_EQ(AmlPkgLength(4094), Bytes({0x80 | 1, 0x00, 0x01}));  // 4097.
  for (size_t n : {0, 5, 62, 63, 100, 4000, 4093, 4094, 70000, 1000000}) {
    Bytes b = AmlPkgLength(n);
    auto [v, used] = DecodePkgLength(b.data());
    EXPECT_EQ(used, b.size()) << n;
    EXPECT_EQ(v, n + b.size()) << n;
  }
}

TEST(PciHostBridgeAml, Structure) {
  const Bytes aml = PciHostBridgeAml({0xc0000000, 0x10000000, 16});
  ASSERT_GT(aml.size(), 100u);
  // Scope (\_SB) covering exactly the whole blob.
  ASSERT_EQ(aml[0], 0x10);
  auto [len, used] = DecodePkgLength(&aml[1]);
  EXPECT_EQ(1 + len, aml.size());
  EXPECT_EQ(std::string(aml.begin() + 1 + used, aml.begin() + 1 + used + 5), "\\_SB_");
  // Device (PCI0) with the PNP0A03 EisaId (as iasl encodes it).
  EXPECT_TRUE(Contains(aml, {0x5b, 0x82}));
  EXPECT_TRUE(Contains(aml, {'P', 'C', 'I', '0', 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0,
                             0x0a, 0x03}));
  // _CRS: the memory window 0xc0000000..0xcfffffff, length 0x10000000.
  EXPECT_TRUE(Contains(aml, {0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xff, 0xcf}));
  // The config ports as a fixed I/O descriptor.
  EXPECT_TRUE(Contains(aml, {0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08}));
  // _PRT: slot 3 pin B -> GSI 16 + (3 - 1 + 1) % 8 = 19:
  // Package (4) { 0x0003FFFF, One, Zero, 19 }.
  EXPECT_TRUE(Contains(aml, {0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0x03, 0x00, 0x01, 0x00, 0x0a,
                             19}));
  // Slot 31 pin D wraps: 16 + (30 + 3) % 8 = 17.
  EXPECT_TRUE(Contains(aml, {0x12, 0x0c, 0x04, 0x0c, 0xff, 0xff, 0x1f, 0x00, 0x0a, 0x03, 0x00,
                             0x0a, 17}));
}

TEST(PciHostBridgeAml, EcamIsAMotherboardResource) {
  EXPECT_FALSE(Contains(PciHostBridgeAml({0xc0000000, 0x10000000, 16}), {'M', 'R', 'E', 'S'}));
  const Bytes aml = PciHostBridgeAml({0xc0000000, 0x10000000, 16, 0xe8000000});
  auto [len, used] = DecodePkgLength(&aml[1]);
  EXPECT_EQ(1 + len, aml.size());  // MRES inside the \_SB scope.
  // Device (MRES) { _HID EisaId ("PNP0C02") ... Memory32Fixed (ReadWrite,
  // 0xE8000000, 0x100000) }.
  EXPECT_TRUE(Contains(aml, {'M', 'R', 'E', 'S', 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0,
                             0x0c, 0x02}));
  EXPECT_TRUE(Contains(aml, {0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xe8, 0x00, 0x00, 0x10,
                             0x00, 0x79, 0x00}));
}

TEST(PciHostBridgeAml, InTheDsdt) {
  AcpiConfig c;
  c.base = 0xe0000;
  c.lapic_address = 0xfee00000;
  c.ioapic_address = 0xfec00000;
  c.ecam_base = 0xe8000000;
  c.dsdt_extra = PciHostBridgeAml({0xc0000000, 0x10000000, 16, c.ecam_base});
  auto tables = BuildAcpiTables(c);
  ASSERT_TRUE(tables.ok()) << tables.status();
  // Find the DSDT and check its length and checksum cover the extra AML.
  const Bytes& t = *tables;
  auto it = std::search(t.begin(), t.end(), std::begin("DSDT"), std::end("DSDT") - 1);
  ASSERT_NE(it, t.end());
  const size_t off = static_cast<size_t>(it - t.begin());
  uint32_t length;
  std::memcpy(&length, &t[off + 4], 4);
  EXPECT_EQ(length, 36 + 11 + c.dsdt_extra.size());  // Header, \_S5_, PCI0.
  uint8_t sum = 0;
  for (size_t i = 0; i < length; ++i) sum = static_cast<uint8_t>(sum + t[off + i]);
  EXPECT_EQ(sum, 0);
  EXPECT_TRUE(std::equal(c.dsdt_extra.begin(), c.dsdt_extra.end(), t.begin() + off + 36 + 11));
  // For a human check: iasl -d $TEST_UNDECLARED_OUTPUTS_DIR/dsdt.aml
  if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    if (FILE* f = std::fopen((std::string(dir) + "/dsdt.aml").c_str(), "wb")) {
      std::fwrite(&t[off], 1, length, f);
      std::fclose(f);
    }
  }
}

}  // namespace
}  // namespace vmm
