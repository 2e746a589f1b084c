#ifndef VMM_WORKER_NET_BACKENDS_H_
#define VMM_WORKER_NET_BACKENDS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "devices/virtio/net/tap.h"
#include "devices/virtio/vsock/pcap_writer.h"
#include "vmm/base/fd.h"
#include "vmm/machine/machine.h"

namespace vmm::worker {

// What the network devices keep for the worker's whole life, across the
// machines of successive boots: the taps (a created tap is non-persistent,
// so it disappears with the worker's fds, also on kill -9), the latest rate
// limits and the vsock capture. Thread-safe.
class NetBackends {
 public:
  // Opens (creates or attaches) the taps of spec->nics and fills in their
  // names and fds; defaults spec->vsock.uds_path to <vm_dir>/vsock.sock.
  // Errors say what to do (tap missing, name taken, no CAP_NET_ADMIN); on
  // error nothing stays open.
  static absl::StatusOr<std::unique_ptr<NetBackends>> Open(const std::string& vm_dir,
                                                           MachineSpec* spec);

  // The name of the tap created for NIC `index` of VM `vm_id`:
  // "vm<first 8 hex digits of the id>n<index>" (at most 15 bytes).
  static std::string GeneratedTapName(const std::string& vm_id, uint32_t index);

  // The spec for the next machine: the rate limits as last set.
  MachineSpec ForNextMachine(const MachineSpec& spec) const;
  // Hands a freshly built machine the running capture, if any.
  void AttachTo(Machine* machine) const;

  // Runtime changes. `current` is the running machine (nullptr between
  // boots: the change applies to the next one).
  absl::Status UpdateNic(uint32_t index, const RateLimitConfig& rx, const RateLimitConfig& tx,
                         Machine* current);
  // `path`: created mode 0600 or truncated; a FIFO is opened without
  // blocking (its reader must be there).
  absl::Status StartCapture(const std::string& path, Machine* current);
  absl::Status StopCapture(Machine* current);

  const std::vector<virtio::Tap>& taps() const { return taps_; }

 private:
  NetBackends() = default;

  std::vector<virtio::Tap> taps_;
  bool has_vsock_ = false;
  mutable absl::Mutex mu_;
  std::vector<NicConfig> nics_ ABSL_GUARDED_BY(mu_);  // Current limits.
  std::shared_ptr<virtio::PcapWriter> capture_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vmm::worker

#endif  // VMM_WORKER_NET_BACKENDS_H_
