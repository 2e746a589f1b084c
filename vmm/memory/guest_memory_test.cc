#include "vmm/memory/guest_memory.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace vmm {
namespace {

constexpr uint64_t kPage = 4096;

std::unique_ptr<GuestMemory> TwoRegions() {
  // [0, 64 KiB) and [1 MiB, 1 MiB + 8 KiB), deliberately given out of order.
  auto mem =
      GuestMemory::Create({{GuestAddress(0x100000), 2 * kPage}, {GuestAddress(0), 16 * kPage}});
  EXPECT_TRUE(mem.ok()) << mem.status();
  return std::move(*mem);
}

TEST(GuestAddressTest, CheckedAddDetectsWrap) {
  EXPECT_EQ(GuestAddress(10).CheckedAdd(5), GuestAddress(15));
  EXPECT_FALSE(GuestAddress(UINT64_MAX).CheckedAdd(1).has_value());
  EXPECT_EQ(GuestAddress(UINT64_MAX).CheckedAdd(0), GuestAddress(UINT64_MAX));
  EXPECT_EQ(GuestAddress(0x1f).ToString(), "0x1f");
}

TEST(GuestMemoryTest, RoundTripsObjectsAndBytes) {
  auto mem = TwoRegions();
  ASSERT_TRUE(mem->WriteObj<uint32_t>(GuestAddress(0x10), 0xdeadbeef).ok());
  auto v = mem->ReadObj<uint32_t>(GuestAddress(0x10));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 0xdeadbeefu);
  std::vector<uint8_t> data = {1, 2, 3, 4, 5};
  ASSERT_TRUE(mem->Write(GuestAddress(0x100000 + 2 * kPage - 5), data).ok());
  std::vector<uint8_t> back(5);
  ASSERT_TRUE(mem->Read(GuestAddress(0x100000 + 2 * kPage - 5), absl::MakeSpan(back)).ok());
  EXPECT_EQ(back, data);
  EXPECT_EQ(mem->total_size(), 18 * kPage);
}

TEST(GuestMemoryTest, FreshMemoryIsZero) {
  auto mem = TwoRegions();
  auto v = mem->ReadObj<uint64_t>(GuestAddress(0x8000));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 0u);
}

TEST(GuestMemoryTest, RejectsPastEnd) {
  auto mem = TwoRegions();
  EXPECT_EQ(mem->ReadObj<uint32_t>(GuestAddress(16 * kPage - 2)).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_FALSE(mem->WriteObj<uint8_t>(GuestAddress(16 * kPage), 1).ok());
  EXPECT_FALSE(mem->WriteObj<uint8_t>(GuestAddress(0x100000 + 2 * kPage), 1).ok());
  // In the hole between regions.
  EXPECT_FALSE(mem->ReadObj<uint8_t>(GuestAddress(0x80000)).ok());
}

TEST(GuestMemoryTest, RejectsWraparound) {
  auto mem = TwoRegions();
  std::vector<uint8_t> buf(16);
  EXPECT_FALSE(mem->Read(GuestAddress(UINT64_MAX - 7), absl::MakeSpan(buf)).ok());
  EXPECT_FALSE(mem->IsValidRange(GuestAddress(8), UINT64_MAX));
  EXPECT_FALSE(mem->IsValidRange(GuestAddress(UINT64_MAX), 2));
}

TEST(GuestMemoryTest, RejectsCrossRegion) {
  // Two adjacent regions: an access straddling the boundary is rejected.
  auto mem = GuestMemory::Create({{GuestAddress(0), kPage}, {GuestAddress(kPage), kPage}});
  ASSERT_TRUE(mem.ok());
  EXPECT_TRUE((*mem)->IsValidRange(GuestAddress(kPage - 4), 4));
  EXPECT_TRUE((*mem)->IsValidRange(GuestAddress(kPage), 4));
  auto status = (*mem)->WriteObj<uint64_t>(GuestAddress(kPage - 4), 1);
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(status.message().find("0xffc"), std::string::npos) << status;
}

TEST(GuestMemoryTest, ZeroLengthAccessInsideIsFine) {
  auto mem = TwoRegions();
  EXPECT_TRUE(mem->Read(GuestAddress(0), {}).ok());
}

TEST(GuestMemoryTest, RejectsBadRegionSpecs) {
  EXPECT_FALSE(GuestMemory::Create({}).ok());
  EXPECT_FALSE(GuestMemory::Create({{GuestAddress(0), 100}}).ok());
  EXPECT_FALSE(GuestMemory::Create({{GuestAddress(0), 0}}).ok());
  EXPECT_FALSE(
      GuestMemory::Create({{GuestAddress(0), 2 * kPage}, {GuestAddress(kPage), kPage}}).ok());
  EXPECT_FALSE(GuestMemory::Create({{GuestAddress(UINT64_MAX - kPage + 1), 2 * kPage}}).ok());
}

TEST(GuestMemoryTest, HostRegionsCoverRam) {
  auto mem = TwoRegions();
  auto regions = mem->HostRegionsForAccelerator();
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].guest_start, GuestAddress(0));
  EXPECT_EQ(regions[0].size, 16 * kPage);
  EXPECT_EQ(regions[1].guest_start, GuestAddress(0x100000));
  regions[1].host[3] = 42;
  EXPECT_EQ(*mem->ReadObj<uint8_t>(GuestAddress(0x100003)), 42);
}

}  // namespace
}  // namespace vmm
