#include "vmm/worker/console_buffer.h"

#include <thread>

#include "gtest/gtest.h"

namespace vmm::worker {
namespace {

TEST(ConsoleBuffer, ReadersKeepTheirOwnCursor) {
  ConsoleBuffer buf(16);
  buf.Append("hello ");
  uint64_t a = buf.oldest(), b = buf.oldest();
  std::string out_a, out_b;
  ASSERT_TRUE(buf.Read(&a, &out_a, 100, absl::ZeroDuration()));
  EXPECT_EQ(out_a, "hello ");
  buf.Append("world");
  ASSERT_TRUE(buf.Read(&a, &out_a, 100, absl::ZeroDuration()));
  ASSERT_TRUE(buf.Read(&b, &out_b, 100, absl::ZeroDuration()));
  EXPECT_EQ(out_a, "hello world");
  EXPECT_EQ(out_b, "hello world");
}

TEST(ConsoleBuffer, SlowReaderSkipsAheadAndKeepsTheLatest) {
  ConsoleBuffer buf(8);
  uint64_t cursor = 0;
  buf.Append("0123456789");
  buf.Append("abc");
  std::string out;
  ASSERT_TRUE(buf.Read(&cursor, &out, 100, absl::ZeroDuration()));
  EXPECT_EQ(out, "56789abc");
  EXPECT_EQ(cursor, 13u);
  EXPECT_EQ(buf.oldest(), 5u);
}

TEST(ConsoleBuffer, MaxBytesLimitsOneRead) {
  ConsoleBuffer buf(64);
  buf.Append("abcdef");
  uint64_t cursor = 0;
  std::string out;
  ASSERT_TRUE(buf.Read(&cursor, &out, 4, absl::ZeroDuration()));
  EXPECT_EQ(out, "abcd");
  ASSERT_TRUE(buf.Read(&cursor, &out, 4, absl::ZeroDuration()));
  EXPECT_EQ(out, "abcdef");
}

TEST(ConsoleBuffer, ReadWaitsForDataAndEndsAfterClose) {
  ConsoleBuffer buf(64);
  uint64_t cursor = buf.end();
  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(50));
    buf.Append("late");
    buf.Close();
  });
  std::string out;
  while (buf.Read(&cursor, &out, 100, absl::Seconds(10))) {
  }
  writer.join();
  EXPECT_EQ(out, "late");
}

TEST(ConsoleBuffer, EmptyReadTimesOut) {
  ConsoleBuffer buf(64);
  uint64_t cursor = 0;
  std::string out;
  absl::Time start = absl::Now();
  EXPECT_TRUE(buf.Read(&cursor, &out, 100, absl::Milliseconds(30)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(25));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace vmm::worker
