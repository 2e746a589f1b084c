#include "api/daemon_options.h"

#include <stdlib.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace vmm::api {

const char kDaemonUsage[] =
    "usage: vmmd [--socket=/run/vmmd/vmmd.sock] [--state-dir=/var/lib/vmmd]\n"
    "            [--worker=PATH] [--debug]\n"
    "            [--listen-tcp=HOST:PORT --tls-cert=PEM --tls-key=PEM "
    "--tls-client-ca=PEM]\n";

absl::StatusOr<DaemonOptions> ParseDaemonOptions(const std::vector<std::string>& args) {
  DaemonOptions o;
  struct Flag {
    const char* name;
    std::string* value;
  } flags[] = {
      {"--socket", &o.socket_path},          {"--state-dir", &o.state_dir},
      {"--worker", &o.worker_binary},        {"--listen-tcp", &o.listen_tcp},
      {"--tls-cert", &o.tls_cert},           {"--tls-key", &o.tls_key},
      {"--tls-client-ca", &o.tls_client_ca},
  };
  for (const std::string& arg : args) {
    if (arg == "--debug") {
      o.debug_log = true;
      continue;
    }
    bool matched = false;
    for (const Flag& f : flags) {
      std::string prefix = absl::StrCat(f.name, "=");
      if (absl::StartsWith(arg, prefix)) {
        *f.value = arg.substr(prefix.size());
        matched = true;
        break;
      }
    }
    if (!matched) return absl::InvalidArgumentError(absl::StrCat("unknown argument ", arg));
  }
  if (o.socket_path.empty() || o.socket_path[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("--socket=", o.socket_path, ": must be an absolute path"));
  }
  // sockaddr_un.sun_path holds 107 bytes plus the NUL.
  if (o.socket_path.size() > 107) {
    return absl::InvalidArgumentError(
        absl::StrCat("--socket=", o.socket_path, ": longer than 107 bytes"));
  }
  if (o.state_dir.empty() || o.state_dir[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("--state-dir=", o.state_dir, ": must be an absolute path"));
  }
  const bool any_tls = !o.tls_cert.empty() || !o.tls_key.empty() || !o.tls_client_ca.empty();
  if (!o.listen_tcp.empty() &&
      (o.tls_cert.empty() || o.tls_key.empty() || o.tls_client_ca.empty())) {
    return absl::InvalidArgumentError(
        "--listen-tcp requires --tls-cert, --tls-key and --tls-client-ca: vmmd never "
        "serves plaintext TCP, and TCP clients must present a certificate");
  }
  if (o.listen_tcp.empty() && any_tls) {
    return absl::InvalidArgumentError("--tls-* flags given without --listen-tcp");
  }
  return o;
}

std::string DefaultWorkerBinary(const std::string& self_exe) {
  std::string dir = self_exe.substr(0, self_exe.rfind('/'));
  std::vector<std::string> candidates = {
      absl::StrCat(dir, "/vmm-worker"),
      absl::StrCat(self_exe, ".runfiles/vmm/vmm/worker/vmm-worker"),
  };
  if (const char* runfiles = getenv("RUNFILES_DIR")) {
    candidates.push_back(absl::StrCat(runfiles, "/vmm/vmm/worker/vmm-worker"));
  }
  for (const std::string& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c;
  }
  return candidates[0];  // Reported as missing at startup.
}

}  // namespace vmm::api
