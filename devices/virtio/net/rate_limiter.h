#ifndef DEVICES_VIRTIO_NET_RATE_LIMITER_H_
#define DEVICES_VIRTIO_NET_RATE_LIMITER_H_

#include <chrono>
#include <cstdint>
#include <mutex>

namespace vmm {
namespace virtio {

// One token bucket: `rate` tokens per second, at most `burst` stored
// (burst 0 = one second of rate). rate 0 = unlimited.
struct BucketConfig {
  uint64_t rate = 0;
  uint64_t burst = 0;
};

struct RateLimit {
  BucketConfig bytes;
  BucketConfig packets;
  bool unlimited() const { return bytes.rate == 0 && packets.rate == 0; }
};

// A bytes/s + packets/s limiter for one direction of one NIC, shared by the
// queue-pair threads. Tokens may go into debt by one packet (a frame is
// sized only after it was read), so a sender waits until the debt is paid:
// over time the rate holds exactly. Thread-safe.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(const RateLimit& limit = {});

  // Replaces the limit; buckets start full at the new burst.
  void Set(const RateLimit& limit);
  RateLimit Get() const;

  // Zero if a packet may go now, else how long until it may.
  std::chrono::nanoseconds WaitTime();
  // Takes `bytes` and one packet.
  void Consume(uint64_t bytes);

 private:
  struct Bucket {
    BucketConfig config;
    double tokens = 0;
    double capacity() const;
  };
  void RefillLocked(Clock::time_point now);
  static std::chrono::nanoseconds BucketWait(const Bucket& b);

  mutable std::mutex mu_;
  RateLimit limit_;
  Bucket bytes_;
  Bucket packets_;
  Clock::time_point last_;
};

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_NET_RATE_LIMITER_H_
