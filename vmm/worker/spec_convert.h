#ifndef VMM_WORKER_SPEC_CONVERT_H_
#define VMM_WORKER_SPEC_CONVERT_H_

#include "absl/status/statusor.h"
#include "proto/vmm/v1/vmm.pb.h"
#include "vmm/machine/machine.h"

namespace vmm::worker {

// The one place where the public API's VmSpec meets vmm::Machine. The daemon
// has validated the spec already; this still rejects what it cannot express
// (a missing boot source, an unknown arch) instead of guessing.
absl::StatusOr<MachineSpec> ToMachineSpec(const v1::VmSpec& spec);

}  // namespace vmm::worker

#endif  // VMM_WORKER_SPEC_CONVERT_H_
