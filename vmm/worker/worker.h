#ifndef VMM_WORKER_WORKER_H_
#define VMM_WORKER_WORKER_H_

#include <string>

#include "vmm/worker/vm_runner.h"

namespace vmm::worker {

// The body of vmm-worker: reads <vm_dir>/spec.txtpb, serves WorkerControl on
// <vm_dir>/control.sock, runs the VM until it ends, writes <vm_dir>/exit.txtpb
// and returns the process exit code (layout.h).
int RunWorker(const std::string& vm_dir, const MachineFactory& factory);

// Process setup for a worker, before any thread starts: umask, no new
// privileges, SIGPIPE ignored, the seccomp filter (seccomp_filter.h).
void HardenWorkerProcess();

}  // namespace vmm::worker

#endif  // VMM_WORKER_WORKER_H_
