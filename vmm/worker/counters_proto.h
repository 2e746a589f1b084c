#ifndef VMM_WORKER_COUNTERS_PROTO_H_
#define VMM_WORKER_COUNTERS_PROTO_H_

// MachineCounters <-> vmm.worker.Counters: the one counters path of every
// device (disks, NICs, vsock), used by GetCounters and by the ExitRecord.

#include "vmm/machine/machine.h"
#include "vmm/worker/control.pb.h"

namespace vmm::worker {

void CountersToProto(const MachineCounters& in, Counters* out);
MachineCounters CountersFromProto(const Counters& in);

}  // namespace vmm::worker

#endif  // VMM_WORKER_COUNTERS_PROTO_H_
