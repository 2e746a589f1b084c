// Replays the crafted seed corpus (and some pseudo-random inputs) through the
// same entry point as blk_fuzzer, under the regular gtest/ASan build.

#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "devices/virtio/core/virtio_spec.h"
#include "gtest/gtest.h"
#include "tests/fuzz/blk_fuzz_entry.h"

namespace vmm {
namespace fuzz {
namespace {

std::vector<uint8_t> Seed(const std::string& name) {
  std::ifstream f("tests/fuzz/corpus/" + name, std::ios::binary);
  EXPECT_TRUE(f.good()) << name;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

BlkFuzzOutcome Replay(const std::vector<uint8_t>& in) {
  BlkFuzzReplay(in.data(), in.size());
  return BlkFuzzLastOutcome();
}

TEST(FuzzCorpusTest, GoodSeedsAreServed) {
  for (const char* name : {"read", "write", "indirect"}) {
    BlkFuzzOutcome o = Replay(Seed(name));
    EXPECT_EQ(o.used_idx, 1) << name;
    EXPECT_FALSE(o.status & virtio::kStatusDeviceNeedsReset) << name;
  }
}

TEST(FuzzCorpusTest, TwoRequestSeedsAreServed) {
  for (const char* name : {"flush_getid", "discard_wz"}) {
    BlkFuzzOutcome o = Replay(Seed(name));
    EXPECT_EQ(o.used_idx, 2) << name;
    EXPECT_FALSE(o.status & virtio::kStatusDeviceNeedsReset) << name;
  }
}

TEST(FuzzCorpusTest, HostileSeedsBreakTheDevice) {
  for (const char* name : {"loop", "nested_indirect", "avail_jump", "out_of_ram"}) {
    BlkFuzzOutcome o = Replay(Seed(name));
    EXPECT_EQ(o.used_idx, 0) << name;
    EXPECT_TRUE(o.status & virtio::kStatusDeviceNeedsReset) << name;
  }
}

TEST(FuzzCorpusTest, RandomMutationsOfSeedsDoNotCrash) {
  std::mt19937 rng(1234);
  std::vector<std::vector<uint8_t>> seeds;
  for (const char* name : {"read", "write", "indirect", "discard_wz", "flush_getid"}) {
    seeds.push_back(Seed(name));
  }
  for (int i = 0; i < 300; ++i) {
    std::vector<uint8_t> in = seeds[i % seeds.size()];
    const int flips = 1 + static_cast<int>(rng() % 16);
    for (int k = 0; k < flips; ++k) {
      // Mutate the rings and the first buffers, where it matters.
      in[rng() % std::min<size_t>(in.size(), 0x700)] = static_cast<uint8_t>(rng());
    }
    Replay(in);
  }
  // Still alive and still serving.
  EXPECT_EQ(Replay(Seed("read")).used_idx, 1);
}

}  // namespace
}  // namespace fuzz
}  // namespace vmm
