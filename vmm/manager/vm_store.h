#ifndef VMM_MANAGER_VM_STORE_H_
#define VMM_MANAGER_VM_STORE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/vmm/v1/vmm.pb.h"
#include "vmm/base/fd.h"

namespace vmm::manager {

// The daemon's state directory:
//   <root>/vms/<id>/vm.txtpb     the Vm (id, spec, last status), text proto
//   <root>/vms/<id>/spec.txtpb   the VmSpec the worker reads
//   <root>/vms/<id>/...          worker files (vmm/worker/layout.h)
// Every write is atomic (temp + fsync + rename + fsync of the directory);
// a VM directory appears complete or not at all, and disappears the same way.
class VmStore {
 public:
  explicit VmStore(std::string root);

  // Creates <root>/vms if needed, takes the directory's lock (one daemon
  // per state directory: FAILED_PRECONDITION if another holds it) and
  // removes leftovers of interrupted creates and deletes.
  absl::Status Init();

  std::string VmDir(const std::string& id) const;

  // Writes a new VM directory. AlreadyExists if the id is taken.
  absl::Status Create(const v1::Vm& vm);
  // Replaces vm.txtpb.
  absl::Status Save(const v1::Vm& vm);
  // Rewrites the spec file the worker reads at its next start.
  absl::Status SaveSpec(const std::string& id, const v1::VmSpec& spec);
  absl::Status Delete(const std::string& id);

  struct Loaded {
    std::vector<v1::Vm> vms;
    std::vector<std::string> errors;  // Directories that could not be read.
  };
  Loaded LoadAll() const;

 private:
  std::string vms_dir_;
  Fd lock_;  // flock(2)ed <root>/vmmd.lock, held for the store's lifetime.
};

}  // namespace vmm::manager

#endif  // VMM_MANAGER_VM_STORE_H_
