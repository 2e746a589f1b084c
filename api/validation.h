#ifndef API_VALIDATION_H_
#define API_VALIDATION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/vmm/v1/vmm.pb.h"

namespace vmm::api {

// What a spec is checked against; probed from the host once at startup.
struct HostLimits {
  uint32_t max_vcpus = 64;
  uint64_t memory_mib = 0;  // MemTotal.
  v1::Arch host_arch = v1::X86_64;
};

// Disk limits (spec.disks): one PCI slot each on bus 0 (31 slots, shared
// with NICs and vsock), virtio-blk queues and the GET_ID serial.
inline constexpr uint32_t kMaxDisks = 16;
inline constexpr uint32_t kMaxDiskQueues = 64;
inline constexpr size_t kMaxDiskSerialBytes = 20;

// min(64, 8 * online CPUs) vCPUs: KVM's per-VM limit on small hosts is far
// above what time-sharing 2 cores can run usefully; 64 is the design cap.
HostLimits ProbeHostLimits();

// INVALID_ARGUMENT naming the field, the value and the fix, e.g.
// "spec.vcpus=0: must be 1..16"; UNIMPLEMENTED for devices this daemon does
// not provide yet (silently dropping a disk would be worse).
absl::Status ValidateSpec(const v1::VmSpec& spec, const HostLimits& limits);

// Exactly one of id or name, non-empty. `field` names it in the message.
absl::Status ValidateRef(const v1::VmRef& ref, absl::string_view field);

// [a-zA-Z0-9][a-zA-Z0-9._-]{0,62}
bool IsValidVmName(absl::string_view name);

}  // namespace vmm::api

#endif  // API_VALIDATION_H_
