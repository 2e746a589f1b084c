#include "vmm/machine/x86/acpi_pts_port.h"

#include <vector>

#include "gtest/gtest.h"

namespace vmm {
namespace {

TEST(AcpiPtsPortTest, ReportsEachSleepStateAndReadsBack) {
  std::vector<int> seen;
  AcpiPtsPort port([&](uint8_t s) { seen.push_back(s); });
  uint8_t b = 0xff;
  port.Read(0, absl::MakeSpan(&b, 1));
  EXPECT_EQ(b, 0);
  const uint8_t five = AcpiPtsPort::kS5;
  port.Write(0, absl::MakeConstSpan(&five, 1));
  port.Read(0, absl::MakeSpan(&b, 1));
  EXPECT_EQ(b, 5);
  const uint8_t three = 3;
  port.Write(0, absl::MakeConstSpan(&three, 1));
  EXPECT_EQ(seen, (std::vector<int>{5, 3}));
}

TEST(AcpiPtsPortTest, IgnoresWritesOutsideItsByte) {
  int calls = 0;
  AcpiPtsPort port([&](uint8_t) { ++calls; });
  const uint8_t five = 5;
  port.Write(1, absl::MakeConstSpan(&five, 1));
  port.Write(0, absl::Span<const uint8_t>());
  EXPECT_EQ(calls, 0);
  uint8_t wide[2] = {0xff, 0xff};
  port.Read(0, absl::MakeSpan(wide, 2));
  EXPECT_EQ(wide[0], 0);
  EXPECT_EQ(wide[1], 0);
}

}  // namespace
}  // namespace vmm
