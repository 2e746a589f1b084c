#ifndef DEVICES_VIRTIO_NET_TAP_H_
#define DEVICES_VIRTIO_NET_TAP_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vmm/base/fd.h"

namespace vmm {
namespace virtio {

struct TapOptions {
  // Interface name (at most 15 bytes). Empty: "vmm<vm_id>-<nic_index>".
  std::string name;
  uint64_t vm_id = 0;
  uint32_t nic_index = 0;
  // One fd per queue pair; > 1 uses IFF_MULTI_QUEUE.
  uint16_t num_queues = 1;
  // kCreate fails if the name exists; kAttach needs an existing tap (for
  // example made by `ip tuntap add ... mode tap multi_queue`).
  enum class Mode { kCreate, kAttach };
  Mode mode = Mode::kCreate;
};

// A tap interface opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR (Linux
// Documentation/networking/tuntap.rst). Every queue fd is non-blocking and
// has a 12-byte vnet header (virtio 1.x header, num_buffers included).
//
// A tap we create is not persistent: the kernel removes it when the last fd
// closes, so it goes with this object and also when the process dies. An
// attached tap is left as it was found.
class Tap {
 public:
  static absl::StatusOr<Tap> Open(const TapOptions& options);
  // A second handle on taps opened elsewhere (the worker keeps the tap for
  // the VM's life; each boot's device gets duplicates): dups `fds`, which
  // must be queue fds of tap `name` from Open().
  static absl::StatusOr<Tap> FromBorrowedFds(const std::string& name, const std::vector<int>& fds);

  Tap(Tap&&) = default;
  Tap& operator=(Tap&&) = default;

  const std::string& name() const { return name_; }
  bool created() const { return created_; }
  uint16_t num_queues() const { return static_cast<uint16_t>(fds_.size()); }
  int fd(uint16_t queue) const { return fds_[queue].get(); }

  // TUNSETOFFLOAD: which offloads the kernel may leave to us in frames it
  // hands over (TUN_F_CSUM / TSO4 / TSO6 / UFO), from the guest's
  // negotiated GUEST_* features. UFO is dropped if the kernel refuses it.
  absl::Status SetOffload(bool csum, bool tso4, bool tso6, bool ufo);
  // TUNSETQUEUE: attach / detach one queue (multiqueue only; disabled queue
  // pairs are detached so the kernel steers no flow to them).
  absl::Status SetQueueEnabled(uint16_t queue, bool enabled);

 private:
  Tap() = default;
  std::string name_;
  bool created_ = false;
  bool multi_queue_ = false;
  std::vector<Fd> fds_;
};

// Whether a network interface of that name exists (in this netns).
bool InterfaceExists(const std::string& name);
// A stable locally administered unicast MAC for NIC `nic_index` of VM
// `vm_id`: 02:xx:xx:xx:xx:xx from a hash of both (IEEE 802 U/L bit set,
// I/G bit clear).
std::array<uint8_t, 6> GenerateMac(uint64_t vm_id, uint32_t nic_index);
std::string FormatMac(const std::array<uint8_t, 6>& mac);

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_NET_TAP_H_
