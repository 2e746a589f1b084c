#include "vmm/fdt/fdt_builder.h"

#include <string>

#include "gtest/gtest.h"
#include "vmm/fdt/dtc_testutil.h"

namespace vmm {
namespace {

uint32_t Be32(const std::vector<uint8_t>& b, size_t off) {
  return uint32_t{b[off]} << 24 | uint32_t{b[off + 1]} << 16 | uint32_t{b[off + 2]} << 8 |
         b[off + 3];
}

std::vector<uint8_t> Sample() {
  FdtBuilder b;
  b.AddReservation(0x80000000, 0x200000);
  b.BeginNode("");
  b.PropertyU32("#address-cells", 2);
  b.PropertyU32("#size-cells", 2);
  b.PropertyString("compatible", "test,board");
  b.BeginNode("node@1000");
  b.PropertyU64("reg64", 0x1122334455667788ull);
  b.PropertyStringList("compatible", {"a,b", "c,d"});
  b.PropertyCells("cells", {1, 2, 3});
  b.PropertyEmpty("empty-prop");
  b.EndNode();
  b.BeginNode("other");
  b.PropertyString("compatible", "x,y");  // Name already in the strings block.
  b.EndNode();
  b.EndNode();
  auto blob = b.Finish(0);
  EXPECT_TRUE(blob.ok()) << blob.status();
  return blob.ok() ? *blob : std::vector<uint8_t>{};
}

TEST(FdtBuilderTest, HeaderIsV17AndConsistent) {
  std::vector<uint8_t> blob = Sample();
  ASSERT_GE(blob.size(), 40u);
  EXPECT_EQ(Be32(blob, 0), 0xd00dfeedu);
  EXPECT_EQ(Be32(blob, 4), blob.size());
  uint32_t struct_off = Be32(blob, 8), strings_off = Be32(blob, 12), rsv_off = Be32(blob, 16);
  EXPECT_EQ(Be32(blob, 20), 17u);
  EXPECT_EQ(Be32(blob, 24), 16u);
  EXPECT_EQ(rsv_off % 8, 0u);
  // First reservation entry, then the terminating zero entry.
  EXPECT_EQ(Be32(blob, rsv_off + 4), 0x80000000u);
  EXPECT_EQ(Be32(blob, rsv_off + 12), 0x200000u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Be32(blob, rsv_off + 16 + 4 * i), 0u);
  EXPECT_EQ(struct_off + Be32(blob, 36), strings_off);
  EXPECT_EQ(strings_off + Be32(blob, 32), blob.size());
  EXPECT_EQ(Be32(blob, struct_off), 1u);  // FDT_BEGIN_NODE for the root.
  EXPECT_EQ(Be32(blob, strings_off - 4), 9u);  // FDT_END.
}

TEST(FdtBuilderTest, StringsAreDeduplicated) {
  std::vector<uint8_t> blob = Sample();
  uint32_t strings_off = Be32(blob, 12), strings_size = Be32(blob, 32);
  std::string strings(blob.begin() + strings_off, blob.begin() + strings_off + strings_size);
  size_t first = strings.find(std::string("compatible\0", 11));
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(strings.find(std::string("compatible\0", 11), first + 1), std::string::npos);
}

TEST(FdtBuilderTest, DtcRoundTrip) {
  if (!HaveTool("/usr/bin/dtc")) GTEST_SKIP() << "dtc missing: apt-get install device-tree-compiler";
  std::string warnings;
  auto dts = DtbToDts(Sample(), &warnings);
  ASSERT_TRUE(dts.ok()) << dts.status();
  EXPECT_NE(dts->find("/memreserve/\t0x0000000080000000 0x0000000000200000;"), std::string::npos)
      << *dts;
  EXPECT_NE(dts->find("compatible = \"test,board\";"), std::string::npos) << *dts;
  EXPECT_NE(dts->find("node@1000 {"), std::string::npos) << *dts;
  EXPECT_NE(dts->find("reg64 = <0x11223344 0x55667788>;"), std::string::npos) << *dts;
  // dtc 1.6 prints string lists as one string with embedded \0.
  EXPECT_TRUE(dts->find("compatible = \"a,b\", \"c,d\";") != std::string::npos ||
              dts->find("compatible = \"a,b\\0c,d\";") != std::string::npos)
      << *dts;
  EXPECT_NE(dts->find("cells = <0x01 0x02 0x03>;"), std::string::npos) << *dts;
  EXPECT_NE(dts->find("empty-prop;"), std::string::npos) << *dts;
  EXPECT_NE(dts->find("compatible = \"x,y\";"), std::string::npos) << *dts;
}

TEST(FdtBuilderTest, MisuseIsReportedNotCrashed) {
  {
    FdtBuilder b;
    b.BeginNode("");
    EXPECT_FALSE(b.Finish().ok());  // Root still open.
  }
  {
    FdtBuilder b;
    b.PropertyU32("x", 1);  // Outside any node.
    b.BeginNode("");
    b.EndNode();
    EXPECT_FALSE(b.Finish().ok());
  }
  {
    FdtBuilder b;
    b.BeginNode("");
    b.BeginNode("child");
    b.EndNode();
    b.PropertyU32("late", 1);  // After a child node.
    b.EndNode();
    EXPECT_FALSE(b.Finish().ok());
  }
  {
    FdtBuilder b;
    b.BeginNode("");
    b.BeginNode("bad name");
    b.EndNode();
    b.EndNode();
    EXPECT_FALSE(b.Finish().ok());
  }
  {
    FdtBuilder b;
    b.EndNode();
    EXPECT_FALSE(b.Finish().ok());
  }
  {
    FdtBuilder b;
    b.BeginNode("");
    b.EndNode();
    b.BeginNode("");  // Second root.
    EXPECT_FALSE(b.Finish().ok());
  }
}

TEST(FdtBuilderTest, PhandlesAreUniqueAndNonZero) {
  FdtBuilder b;
  uint32_t a = b.AllocatePhandle(), c = b.AllocatePhandle();
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, c);
}

}  // namespace
}  // namespace vmm
