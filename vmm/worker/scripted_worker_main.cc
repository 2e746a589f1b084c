// A vmm-worker whose machine is ScriptedMachine: lets the manager's tests run
// real worker processes without the real machine (see scripted_machine.h).

#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "vmm/worker/layout.h"
#include "vmm/worker/scripted_machine.h"
#include "vmm/worker/worker.h"

int main(int argc, char** argv) {
  std::string vm_dir;
  for (int i = 1; i < argc; ++i) {
    if (absl::StartsWith(argv[i], "--vm-dir=")) vm_dir = argv[i] + std::strlen("--vm-dir=");
  }
  if (vm_dir.empty()) return vmm::worker::kExitUsage;
  vmm::worker::HardenWorkerProcess();
  return vmm::worker::RunWorker(vm_dir, vmm::worker::BuildScriptedMachine);
}
