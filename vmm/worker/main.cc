// vmm-worker: runs one VM. Started by vmmd (see vmm/manager/worker_process.h)
// as `vmm-worker --vm-dir=<state dir>/vms/<id>`, in its own session.

#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "vmm/base/log.h"
#include "vmm/machine/machine.h"
#include "vmm/worker/layout.h"
#include "vmm/worker/worker.h"

int main(int argc, char** argv) {
  std::string vm_dir;
  for (int i = 1; i < argc; ++i) {
    if (absl::StartsWith(argv[i], "--vm-dir=")) vm_dir = argv[i] + std::strlen("--vm-dir=");
  }
  if (vm_dir.empty()) {
    vmm::Log(vmm::LogLevel::kError, "worker", "usage", {{"expected", "--vm-dir=DIR"}});
    return vmm::worker::kExitUsage;
  }
  vmm::worker::HardenWorkerProcess();
  return vmm::worker::RunWorker(vm_dir, vmm::BuildMachine);
}
