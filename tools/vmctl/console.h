#ifndef TOOLS_VMCTL_CONSOLE_H_
#define TOOLS_VMCTL_CONSOLE_H_

// `vmctl console`: bridges a VM's serial console (StreamConsole) to a pair of
// file descriptors. On a terminal the input side is put in raw mode (every
// key goes to the guest, Ctrl-C included) and restored on every exit path;
// Ctrl-] (0x1d, as in telnet and virsh) detaches.

#include <cstdint>

#include "absl/status/status.h"
#include "proto/vmm/v1/vmm.grpc.pb.h"

namespace vmctl {

inline constexpr char kDetachByte = 0x1d;  // Ctrl-]

struct ConsoleOptions {
  vmm::v1::VmRef vm;
  bool replay = false;
  // Detach after this long (0: never). Lets scripts grab recent output.
  uint32_t timeout_ms = 0;
  int in_fd = 0;
  int out_fd = 1;
};

// Runs until the daemon ends the stream (VM stopped or deleted), the user
// detaches, or the timeout passes; the latter two are OK. When in_fd is not
// a terminal, its EOF half-closes the input side and output keeps flowing.
absl::Status RunConsole(vmm::v1::VmService::StubInterface& stub, const ConsoleOptions& options);

}  // namespace vmctl

#endif  // TOOLS_VMCTL_CONSOLE_H_
