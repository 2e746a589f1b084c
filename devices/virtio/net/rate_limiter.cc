#include "devices/virtio/net/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace vmm {
namespace virtio {

RateLimiter::RateLimiter(const RateLimit& limit) { Set(limit); }

double RateLimiter::Bucket::capacity() const {
  return static_cast<double>(config.burst != 0 ? config.burst : config.rate);
}

void RateLimiter::Set(const RateLimit& limit) {
  std::lock_guard<std::mutex> lock(mu_);
  limit_ = limit;
  bytes_.config = limit.bytes;
  packets_.config = limit.packets;
  bytes_.tokens = bytes_.capacity();
  packets_.tokens = packets_.capacity();
  last_ = Clock::now();
}

RateLimit RateLimiter::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return limit_;
}

void RateLimiter::RefillLocked(Clock::time_point now) {
  const double secs = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  for (Bucket* b : {&bytes_, &packets_}) {
    if (b->config.rate == 0) continue;
    b->tokens = std::min(b->capacity(), b->tokens + secs * static_cast<double>(b->config.rate));
  }
}

std::chrono::nanoseconds RateLimiter::BucketWait(const Bucket& b) {
  if (b.config.rate == 0 || b.tokens > 0) return std::chrono::nanoseconds(0);
  // Time until the debt is paid and one token is there.
  const double secs = (1.0 - b.tokens) / static_cast<double>(b.config.rate);
  return std::chrono::nanoseconds(static_cast<int64_t>(std::ceil(secs * 1e9)));
}

std::chrono::nanoseconds RateLimiter::WaitTime() {
  std::lock_guard<std::mutex> lock(mu_);
  if (limit_.unlimited()) return std::chrono::nanoseconds(0);
  RefillLocked(Clock::now());
  return std::max(BucketWait(bytes_), BucketWait(packets_));
}

void RateLimiter::Consume(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (limit_.unlimited()) return;
  RefillLocked(Clock::now());
  if (bytes_.config.rate != 0) bytes_.tokens -= static_cast<double>(bytes);
  if (packets_.config.rate != 0) packets_.tokens -= 1;
}

}  // namespace virtio
}  // namespace vmm
