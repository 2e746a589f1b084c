#ifndef VMM_WORKER_NET_SPEC_CONVERT_H_
#define VMM_WORKER_NET_SPEC_CONVERT_H_

#include "absl/status/status.h"
#include "proto/vmm/v1/vmm.pb.h"
#include "vmm/machine/machine.h"

namespace vmm::worker {

// VmSpec.nics and VmSpec.vsock -> MachineSpec, defaults applied (1 queue
// pair, MTU 1500). The vsock socket path stays empty when the spec leaves
// it so: the worker puts it in the VM's directory (NetBackends).
absl::Status AddNetDevices(const v1::VmSpec& spec, MachineSpec* out);

RateLimitConfig ToRateLimitConfig(const v1::RateLimit& limit);

}  // namespace vmm::worker

#endif  // VMM_WORKER_NET_SPEC_CONVERT_H_
