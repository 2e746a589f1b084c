#include "devices/virtio/net/rate_limiter.h"

#include <thread>

#include "gtest/gtest.h"

namespace vmm {
namespace virtio {
namespace {

using std::chrono::milliseconds;

TEST(RateLimiterTest, UnlimitedNeverWaits) {
  RateLimiter l;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(l.WaitTime().count(), 0);
    l.Consume(1 << 20);
  }
}

TEST(RateLimiterTest, BurstThenWaitForDebt) {
  RateLimit r;
  r.bytes = {1000, 2000};
  RateLimiter l(r);
  EXPECT_EQ(l.WaitTime().count(), 0);
  l.Consume(1500);
  EXPECT_EQ(l.WaitTime().count(), 0);  // 500 left.
  l.Consume(1500);                     // 1000 in debt.
  const auto wait = l.WaitTime();
  EXPECT_GT(wait, milliseconds(900));
  EXPECT_LE(wait, milliseconds(1002));
}

TEST(RateLimiterTest, PacketsBucket) {
  RateLimit r;
  r.packets = {100, 10};
  RateLimiter l(r);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(l.WaitTime().count(), 0) << i;
    l.Consume(1);
  }
  l.Consume(1);  // One packet of debt.
  EXPECT_GT(l.WaitTime(), milliseconds(5));
}

TEST(RateLimiterTest, HoldsRateOverTime) {
  RateLimit r;
  r.bytes = {1000000, 10000};
  RateLimiter l(r);
  const auto start = RateLimiter::Clock::now();
  uint64_t sent = 0;
  while (RateLimiter::Clock::now() - start < milliseconds(500)) {
    auto w = l.WaitTime();
    if (w.count() > 0) {
      std::this_thread::sleep_for(w);
      continue;
    }
    l.Consume(1500);
    sent += 1500;
  }
  const double secs =
      std::chrono::duration<double>(RateLimiter::Clock::now() - start).count();
  const double rate = static_cast<double>(sent) / secs;
  EXPECT_NEAR(rate, 1e6, 0.1e6);
}

TEST(RateLimiterTest, SetReplacesLimit) {
  RateLimit r;
  r.bytes = {10, 10};
  RateLimiter l(r);
  l.Consume(1000);
  EXPECT_GT(l.WaitTime(), milliseconds(1000));
  l.Set(RateLimit{});
  EXPECT_EQ(l.WaitTime().count(), 0);
  EXPECT_TRUE(l.Get().unlimited());
}

}  // namespace
}  // namespace virtio
}  // namespace vmm
