#ifndef VMM_WORKER_SECCOMP_FILTER_H_
#define VMM_WORKER_SECCOMP_FILTER_H_

#include "absl/status/status.h"

namespace vmm::worker {

// Installs the worker's seccomp filter for the calling thread and every
// thread it creates afterwards (call it before any thread starts).
//
// A deny list: system calls a worker never makes and that would help a guest
// that took over the worker (through a device model bug) to escape or to
// escalate: exec, ptrace and cross-process memory access, namespaces and
// mounts, kernel modules and kexec, bpf and perf, keyrings, host-wide clock
// and power settings. They fail with EPERM. Everything else is allowed: the
// machine's set (KVM ioctls, io_uring, eventfds, gRPC's epoll and sockets)
// is still growing, and an allow list that is wrong kills VMs.
// TODO(seccomp): an allow list with argument filters once that set settles.
absl::Status InstallWorkerSeccompFilter();

}  // namespace vmm::worker

#endif  // VMM_WORKER_SECCOMP_FILTER_H_
