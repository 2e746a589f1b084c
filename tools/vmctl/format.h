#ifndef TOOLS_VMCTL_FORMAT_H_
#define TOOLS_VMCTL_FORMAT_H_

// Output formatting for vmctl: aligned tables and detail blocks for people,
// single-line protobuf JSON for scripts. Pure functions of the messages.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "proto/vmm/v1/vmm.pb.h"

namespace vmctl {

// Lower-case enum names without prefixes: "running", "guest_shutdown",
// "kvm", "x86_64". Unspecified values print as "-".
std::string StateName(vmm::v1::State state);
std::string ReasonName(vmm::v1::StateReason reason);
std::string AccelName(vmm::v1::Accelerator accel);
std::string ArchName(vmm::v1::Arch arch);

// Columns separated by two spaces, each as wide as its widest cell; the
// last column is not padded. rows[0] is the header. Each line ends in '\n'.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// NAME ID STATE REASON VCPUS MEMORY ACCEL, one row per VM. ACCEL is the
// accelerator in use while the VM runs, else the requested one.
std::string FormatVmTable(const std::vector<vmm::v1::Vm>& vms);

// A "Key: value" block with everything `get` knows about one VM.
std::string FormatVmDetails(const vmm::v1::Vm& vm);

// One line per event: "<time> <name> <id> <state> <reason> [message]", or
// "<time> <name> <id> deleted".
std::string FormatEvent(const vmm::v1::VmEvent& event);

// The message as protobuf JSON on one line (proto field names, default
// values included so scripts always find "state" etc.), plus '\n'.
absl::StatusOr<std::string> ToJsonLine(const google::protobuf::Message& m);

}  // namespace vmctl

#endif  // TOOLS_VMCTL_FORMAT_H_
