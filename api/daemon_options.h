#ifndef API_DAEMON_OPTIONS_H_
#define API_DAEMON_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vmm::api {

struct DaemonOptions {
  std::string socket_path = "/run/vmmd/vmmd.sock";
  std::string state_dir = "/var/lib/vmmd";
  std::string worker_binary;  // Empty: next to vmmd or in its runfiles.
  // TCP with mutual TLS; never plaintext.
  std::string listen_tcp;  // host:port
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  bool debug_log = false;
};

// Parses --flag=value arguments (argv[0] excluded). Refuses unknown flags
// and a TCP listener without all three TLS files.
absl::StatusOr<DaemonOptions> ParseDaemonOptions(const std::vector<std::string>& args);

extern const char kDaemonUsage[];

// The worker binary to use when --worker is not given: `vmm-worker` beside
// the vmmd executable, else in vmmd's Bazel runfiles tree.
std::string DefaultWorkerBinary(const std::string& self_exe);

}  // namespace vmm::api

#endif  // API_DAEMON_OPTIONS_H_
