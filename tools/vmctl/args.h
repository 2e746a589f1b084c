#ifndef TOOLS_VMCTL_ARGS_H_
#define TOOLS_VMCTL_ARGS_H_

// Command-line parsing for vmctl: argv in, a validated Invocation out. Pure
// (no I/O) so every rule is unit-tested; the spec file named by --spec is
// read later by BuildCreateSpec's caller.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/vmm/v1/vmm.pb.h"

namespace vmctl {

inline constexpr char kDefaultSocket[] = "/run/vmmd/vmmd.sock";

enum class Command {
  kCreate,
  kStart,
  kStop,
  kReboot,
  kPause,
  kResume,
  kDelete,
  kList,
  kGet,
  kWatch,
  kConsole,
  kCapture,  // capture start VM FILE | capture stop VM | capture VM -
  kNic,      // nic set-rate VM INDEX [LIMITS]
};

// How to reach the daemon: a unix socket, or TCP with (m)TLS. Plaintext TCP
// is never offered: the daemon does not serve it.
struct Connection {
  std::string socket = kDefaultSocket;
  std::string server;  // host:port; non-empty selects TCP + TLS.
  std::string tls_ca;  // PEM file paths.
  std::string tls_cert;
  std::string tls_key;
};

// `create` flags as given; unset optionals leave the --spec file's value.
struct CreateFlags {
  std::string spec_file;
  std::optional<std::string> name;
  std::optional<vmm::v1::Arch> arch;
  std::optional<uint32_t> vcpus;
  std::optional<uint64_t> memory_mib;
  std::optional<std::string> payload;
  std::optional<std::string> kernel;
  std::optional<std::string> initrd;
  std::optional<std::string> cmdline;
  std::optional<std::string> firmware;
  std::optional<vmm::v1::X86Entry> x86_entry;  // --x86-entry 32|64.
  std::optional<vmm::v1::Accelerator> accel;
  std::vector<vmm::v1::Disk> disks;
  std::vector<vmm::v1::Nic> nics;
  std::optional<uint32_t> vsock_cid;
  std::optional<std::string> vsock_uds;
};

struct Invocation {
  bool help = false;  // -h/--help: print Usage() and exit 0.
  Connection conn;
  bool json = false;
  Command command = Command::kList;
  // The VM argument (name or id); empty for list/create and unfiltered watch.
  std::string vm;
  bool vm_is_id = false;  // --id: the argument is an id, never a name.
  CreateFlags create;
  // stop
  uint32_t timeout_ms = 0;
  bool force = false;
  // console
  bool replay = false;
  uint32_t console_timeout_ms = 0;  // 0: until detach or end of stream.
  // capture
  enum class CaptureAction { kStart, kStop, kStream };
  CaptureAction capture_action = CaptureAction::kStream;
  std::string capture_path;
  // nic set-rate
  uint32_t nic_index = 0;
  vmm::v1::RateLimit rx_limit;
  vmm::v1::RateLimit tx_limit;
};

// Parses argv without the program name. Errors are usage errors (exit 2).
absl::StatusOr<Invocation> ParseArgs(const std::vector<std::string>& args);

// The full usage text.
std::string Usage();

// --disk path=IMG[,ro][,serial=S][,cache=writeback|none|unsafe][,queues=N]
// A bare first item is the path: --disk /img.raw,ro.
absl::StatusOr<vmm::v1::Disk> ParseDisk(absl::string_view text);

// --nic [tap=NAME][,mac=52:54:00:..][,queues=N][,mtu=N][,LIMITS]
absl::StatusOr<vmm::v1::Nic> ParseNic(absl::string_view text);

// LIMITS: comma-separated {rx,tx}-{bps,pps}[-burst]=N, e.g.
// "tx-bps=1000000,tx-bps-burst=100000" (bytes/s, packets/s; 0 = unlimited).
// Sets `key` in `rx`/`tx` and returns true if it is such a key.
absl::StatusOr<bool> ApplyRateItem(absl::string_view key, absl::string_view value,
                                   vmm::v1::RateLimit* rx, vmm::v1::RateLimit* tx);

// Builds the spec for `create`: the --spec file's JSON (if any) with the
// flags applied on top. With no --spec file, unset fields get defaults
// (x86_64, 1 vCPU, 256 MiB). `spec_json` is the file's contents.
absl::StatusOr<vmm::v1::VmSpec> BuildCreateSpec(const CreateFlags& flags,
                                                absl::string_view spec_json);

// True if `text` could be a VM name ([a-zA-Z0-9][a-zA-Z0-9._-]{0,62}).
bool LooksLikeName(absl::string_view text);

}  // namespace vmctl

#endif  // TOOLS_VMCTL_ARGS_H_
