#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "tcg/ir/printer.h"
#include "tcg/ir/verify.h"
#include "tcg/riscv64/translator.h"
#include "tcg/testing/flat_memory.h"

namespace tcg::riscv64 {
namespace {

constexpr uint64_t kRam = 0x80000000;
constexpr uint32_t kAddi = 0x00150513;     // addi a0, a0, 1
constexpr uint32_t kJal8 = 0x0080006f;     // jal x0, +8
constexpr uint32_t kIllegal = 0xffffffff;
constexpr uint16_t kCAddi = 0x0505;        // c.addi a0, 1

class TranslateTest : public ::testing::Test {
 protected:
  TranslateTest() : mem_(kRam, 4 * kGuestPageSize) {}

  void Put32(uint64_t addr, uint32_t v) { ASSERT_TRUE(mem_.Write(addr, &v, 4).ok()); }
  void Put16(uint64_t addr, uint16_t v) { ASSERT_TRUE(mem_.Write(addr, &v, 2).ok()); }

  ir::Block Translate(uint64_t pc, int max_insns = 64, CodeFetcher* out = nullptr) {
    CodeFetcher fetch(&mem_, &cache_, pc);
    TranslateOptions options;
    options.max_insns = max_insns;
    absl::StatusOr<ir::Block> b = TranslateBlock(pc, 0, fetch, options);
    EXPECT_TRUE(b.ok()) << b.status();
    EXPECT_TRUE(ir::Verify(*b).ok()) << ir::Verify(*b) << ir::Print(*b);
    if (out != nullptr) *out = fetch;
    return *b;
  }

  tcg::testing::FlatMemory mem_;
  TbCache cache_;
};

TEST_F(TranslateTest, StopsAfterAJump) {
  Put32(kRam, kAddi);
  Put32(kRam + 4, kAddi);
  Put32(kRam + 8, kJal8);
  Put32(kRam + 12, kAddi);  // not part of the block
  ir::Block b = Translate(kRam);
  EXPECT_EQ(b.guest_insns, 3u);
  EXPECT_EQ(b.guest_bytes, 12u);
  EXPECT_EQ(b.terminal.kind, ir::Terminal::Kind::kJump);
  EXPECT_EQ(b.terminal.pc, kRam + 16);
  EXPECT_TRUE(cache_.IsCodePage(kRam));  // marked before reading
}

TEST_F(TranslateTest, StopsAtTheInstructionLimit) {
  for (int i = 0; i < 8; ++i) Put32(kRam + 4 * i, kAddi);
  ir::Block b = Translate(kRam, 5);
  EXPECT_EQ(b.guest_insns, 5u);
  EXPECT_EQ(b.terminal.kind, ir::Terminal::Kind::kJump);
  EXPECT_EQ(b.terminal.pc, kRam + 20);
}

TEST_F(TranslateTest, IllegalInstructionEndsTheBlockWithAnException) {
  Put32(kRam, kAddi);
  Put32(kRam + 4, kIllegal);
  ir::Block b = Translate(kRam);
  EXPECT_EQ(b.guest_insns, 1u);
  ASSERT_EQ(b.terminal.kind, ir::Terminal::Kind::kExit);
  EXPECT_EQ(b.terminal.reason, ir::ExitReason::kException);
  EXPECT_EQ(b.terminal.pc, kRam + 4);
  EXPECT_EQ(b.terminal.code, kCauseIllegalInsn);
  EXPECT_EQ(b.terminal.aux, kIllegal);
}

TEST_F(TranslateTest, UnfetchableCodeIsAnInstructionAccessFault) {
  ir::Block b = Translate(0x1000);
  ASSERT_EQ(b.terminal.kind, ir::Terminal::Kind::kExit);
  EXPECT_EQ(b.terminal.code, kCauseInsnAccessFault);
  EXPECT_EQ(b.terminal.aux, 0x1000u);
  EXPECT_EQ(b.guest_insns, 0u);
  // Code running into the end of RAM: the block ends before the fault,
  // which the next block reports at its own pc.
  const uint64_t end = kRam + 4 * kGuestPageSize;
  Put32(end - 4, kAddi);
  b = Translate(end - 4);
  EXPECT_EQ(b.guest_insns, 1u);
  EXPECT_EQ(b.terminal.kind, ir::Terminal::Kind::kJump);
  EXPECT_EQ(b.terminal.pc, end);
}

TEST_F(TranslateTest, StaysOnItsPageExceptForAStraddlingInstruction) {
  const uint64_t page_end = kRam + kGuestPageSize;
  Put16(page_end - 6, kCAddi);
  Put32(page_end - 4, kAddi);
  Put32(page_end, kAddi);  // next page: not in this block
  ir::Block b = Translate(page_end - 6);
  EXPECT_EQ(b.guest_insns, 2u);
  EXPECT_EQ(b.guest_bytes, 6u);
  EXPECT_EQ(b.terminal.pc, page_end);

  // A 4-byte instruction straddling the boundary belongs to the block, and
  // the block records both pages.
  Put16(page_end - 4, kCAddi);
  Put32(page_end - 2, kAddi);
  CodeFetcher fetch(&mem_, &cache_, 0);
  b = Translate(page_end - 4, 64, &fetch);
  EXPECT_EQ(b.guest_insns, 2u);
  EXPECT_EQ(b.guest_bytes, 6u);
  EXPECT_EQ(b.terminal.pc, page_end + 2);
  EXPECT_EQ(fetch.first_page(), kRam);
  EXPECT_EQ(fetch.last_page(), page_end);
}

TEST_F(TranslateTest, CompressedAndFullSizeInstructionsMix) {
  Put16(kRam, kCAddi);
  Put32(kRam + 2, kAddi);
  Put16(kRam + 6, 0x8082);  // c.jr ra
  ir::Block b = Translate(kRam);
  EXPECT_EQ(b.guest_insns, 3u);
  EXPECT_EQ(b.guest_bytes, 8u);
  EXPECT_EQ(b.terminal.kind, ir::Terminal::Kind::kIndirect);
}

}  // namespace
}  // namespace tcg::riscv64
