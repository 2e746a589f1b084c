#ifndef VMM_WORKER_NET_CONTROL_CLIENT_H_
#define VMM_WORKER_NET_CONTROL_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vmm/machine/machine.h"

namespace vmm::worker {

// The daemon's side of a worker's WorkerNetControl service (rate limits,
// vsock capture), without gRPC types. Thread-safe. Counters: WorkerClient.
class NetControlClient {
 public:
  virtual ~NetControlClient() = default;
  static std::unique_ptr<NetControlClient> Create(const std::string& socket_path);

  virtual absl::Status UpdateNic(uint32_t nic_index, const RateLimitConfig& rx,
                                 const RateLimitConfig& tx, absl::Duration timeout) = 0;
  virtual absl::Status StartCapture(const std::string& path, absl::Duration timeout) = 0;
  virtual absl::Status StopCapture(absl::Duration timeout) = 0;
};

}  // namespace vmm::worker

#endif  // VMM_WORKER_NET_CONTROL_CLIENT_H_
