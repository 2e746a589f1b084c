#include "tools/vmctl/args.h"

#include <algorithm>
#include <cstddef>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"

namespace vmctl {
namespace {

using vmm::v1::Accelerator;
using vmm::v1::Arch;

// Which commands accept a flag. Global flags are accepted everywhere.
enum FlagScope : unsigned {
  kGlobal = 1u << 0,
  kCreateOnly = 1u << 1,
  kStopOnly = 1u << 2,
  kConsoleOnly = 1u << 3,
  kRefCommands = 1u << 4,  // Commands that take a VM argument.
};

struct FlagDef {
  bool takes_value;
  unsigned scope;
};

const std::map<std::string, FlagDef>& Flags() {
  static const auto* flags = new std::map<std::string, FlagDef>{
      {"help", {false, kGlobal}},          {"socket", {true, kGlobal}},
      {"server", {true, kGlobal}},         {"tls-ca", {true, kGlobal}},
      {"tls-cert", {true, kGlobal}},       {"tls-key", {true, kGlobal}},
      {"json", {false, kGlobal}},          {"id", {false, kRefCommands}},
      {"spec", {true, kCreateOnly}},       {"name", {true, kCreateOnly}},
      {"arch", {true, kCreateOnly}},       {"vcpus", {true, kCreateOnly}},
      {"memory-mib", {true, kCreateOnly}}, {"payload", {true, kCreateOnly}},
      {"kernel", {true, kCreateOnly}},     {"initrd", {true, kCreateOnly}},
      {"cmdline", {true, kCreateOnly}},    {"firmware", {true, kCreateOnly}},
      {"accel", {true, kCreateOnly}},      {"disk", {true, kCreateOnly}},
      {"nic", {true, kCreateOnly}},        {"vsock-cid", {true, kCreateOnly}},
      {"vsock-uds", {true, kCreateOnly}},  {"timeout-ms", {true, kStopOnly | kConsoleOnly}},
      {"force", {false, kStopOnly}},       {"replay", {false, kConsoleOnly}},
      {"x86-entry", {true, kCreateOnly}},
  };
  return *flags;
}

struct CommandDef {
  Command command;
  // How many positional arguments after the command: min..max.
  int min_args;
  int max_args;
  unsigned scope;  // Which flag scopes apply besides kGlobal.
};

const std::map<std::string, CommandDef>& Commands() {
  static const auto* commands = new std::map<std::string, CommandDef>{
      {"create", {Command::kCreate, 0, 1, kCreateOnly}},
      {"start", {Command::kStart, 1, 1, kRefCommands}},
      {"stop", {Command::kStop, 1, 1, kRefCommands | kStopOnly}},
      {"reboot", {Command::kReboot, 1, 1, kRefCommands}},
      {"pause", {Command::kPause, 1, 1, kRefCommands}},
      {"resume", {Command::kResume, 1, 1, kRefCommands}},
      {"delete", {Command::kDelete, 1, 1, kRefCommands}},
      {"list", {Command::kList, 0, 0, 0}},
      {"get", {Command::kGet, 1, 1, kRefCommands}},
      {"watch", {Command::kWatch, 0, 1, kRefCommands}},
      {"console", {Command::kConsole, 1, 1, kRefCommands | kConsoleOnly}},
      {"capture", {Command::kCapture, 2, 3, kRefCommands}},
      {"nic", {Command::kNic, 3, 4, kRefCommands}},
  };
  return *commands;
}

absl::Status UsageError(absl::string_view message) { return absl::InvalidArgumentError(message); }

template <typename T>
absl::StatusOr<T> ParseUnsigned(absl::string_view flag, absl::string_view value, T max) {
  uint64_t v = 0;
  // SimpleAtoi accepts a leading '-' for unsigned types by wrapping; refuse.
  if (absl::StartsWith(value, "-") || !absl::SimpleAtoi(value, &v) || v > max) {
    return UsageError(absl::StrCat("--", flag, "=", value, ": must be an integer 0..", max));
  }
  return static_cast<T>(v);
}

absl::StatusOr<Arch> ParseArch(absl::string_view value) {
  std::string v = absl::AsciiStrToLower(value);
  if (v == "x86_64" || v == "x86-64" || v == "amd64") return vmm::v1::X86_64;
  if (v == "riscv64") return vmm::v1::RISCV64;
  return UsageError(absl::StrCat("--arch=", value, ": must be x86_64 or riscv64"));
}

absl::StatusOr<Accelerator> ParseAccel(absl::string_view value) {
  std::string v = absl::AsciiStrToLower(value);
  if (v == "auto") return vmm::v1::AUTO;
  if (v == "kvm") return vmm::v1::KVM;
  if (v == "tcg") return vmm::v1::TCG;
  return UsageError(absl::StrCat("--accel=", value, ": must be auto, kvm or tcg"));
}

absl::StatusOr<vmm::v1::X86Entry> ParseX86Entry(absl::string_view value) {
  if (value == "32") return vmm::v1::X86_ENTRY_32BIT;
  if (value == "64") return vmm::v1::X86_ENTRY_64BIT;
  return UsageError(absl::StrCat("--x86-entry=", value,
                                 ": must be 32 (startup_32, the default) or 64 (startup_64)"));
}

// Applies one `create` flag to `f`.
absl::Status ApplyCreateFlag(const std::string& name, const std::string& value, CreateFlags& f) {
  if (name == "spec") {
    f.spec_file = value;
  } else if (name == "name") {
    f.name = value;
  } else if (name == "arch") {
    auto arch = ParseArch(value);
    if (!arch.ok()) return arch.status();
    f.arch = *arch;
  } else if (name == "vcpus") {
    auto v = ParseUnsigned<uint32_t>(name, value, UINT32_MAX);
    if (!v.ok()) return v.status();
    f.vcpus = *v;
  } else if (name == "memory-mib") {
    auto v = ParseUnsigned<uint64_t>(name, value, UINT64_MAX);
    if (!v.ok()) return v.status();
    f.memory_mib = *v;
  } else if (name == "payload") {
    f.payload = value;
  } else if (name == "kernel") {
    f.kernel = value;
  } else if (name == "initrd") {
    f.initrd = value;
  } else if (name == "cmdline") {
    f.cmdline = value;
  } else if (name == "firmware") {
    f.firmware = value;
  } else if (name == "x86-entry") {
    auto e = ParseX86Entry(value);
    if (!e.ok()) return e.status();
    f.x86_entry = *e;
  } else if (name == "accel") {
    auto a = ParseAccel(value);
    if (!a.ok()) return a.status();
    f.accel = *a;
  } else if (name == "disk") {
    auto d = ParseDisk(value);
    if (!d.ok()) return d.status();
    f.disks.push_back(*std::move(d));
  } else if (name == "nic") {
    auto n = ParseNic(value);
    if (!n.ok()) return n.status();
    f.nics.push_back(*std::move(n));
  } else if (name == "vsock-cid") {
    auto v = ParseUnsigned<uint32_t>(name, value, UINT32_MAX);
    if (!v.ok()) return v.status();
    f.vsock_cid = *v;
  } else if (name == "vsock-uds") {
    f.vsock_uds = value;
  }
  return absl::OkStatus();
}

// Splits "k=v,flag,k2=v2" into (key, value) pairs; a bare item has no value.
std::vector<std::pair<std::string, std::optional<std::string>>> SplitItems(absl::string_view text) {
  std::vector<std::pair<std::string, std::optional<std::string>>> items;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    size_t eq = item.find('=');
    if (eq == absl::string_view::npos) {
      items.emplace_back(std::string(item), std::nullopt);
    } else {
      items.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    }
  }
  return items;
}

}  // namespace

bool LooksLikeName(absl::string_view text) {
  if (text.empty() || text.size() > 63 || !absl::ascii_isalnum(text[0])) {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

absl::StatusOr<vmm::v1::Disk> ParseDisk(absl::string_view text) {
  vmm::v1::Disk disk;
  bool first = true;
  for (auto& [key, value] : SplitItems(text)) {
    bool was_first = std::exchange(first, false);
    if (!value.has_value()) {
      if (key == "ro" || key == "readonly") {
        disk.set_read_only(true);
      } else if (key == "rw") {
        disk.set_read_only(false);
      } else if (was_first && !key.empty()) {
        disk.set_path(key);
      } else {
        return UsageError(absl::StrCat("--disk ", text, ": unknown item '", key,
                                       "' (path=, ro, serial=, cache=, "
                                       "queues=)"));
      }
    } else if (key == "path") {
      disk.set_path(*value);
    } else if (key == "serial") {
      disk.set_serial(*value);
    } else if (key == "cache") {
      std::string v = absl::AsciiStrToLower(*value);
      if (v == "writeback") {
        disk.set_cache(vmm::v1::WRITEBACK);
      } else if (v == "none") {
        disk.set_cache(vmm::v1::NONE);
      } else if (v == "unsafe") {
        disk.set_cache(vmm::v1::UNSAFE);
      } else {
        return UsageError(
            absl::StrCat("--disk cache=", *value, ": must be writeback, none or unsafe"));
      }
    } else if (key == "queues") {
      auto q = ParseUnsigned<uint32_t>("disk queues", *value, UINT32_MAX);
      if (!q.ok()) return q.status();
      disk.set_num_queues(*q);
    } else {
      return UsageError(absl::StrCat("--disk ", text, ": unknown key '", key,
                                     "' (path=, ro, serial=, cache=, "
                                     "queues=)"));
    }
  }
  if (disk.path().empty()) {
    return UsageError(absl::StrCat("--disk ", text, ": path= is required"));
  }
  return disk;
}

absl::StatusOr<bool> ApplyRateItem(absl::string_view key, absl::string_view value,
                                   vmm::v1::RateLimit* rx, vmm::v1::RateLimit* tx) {
  vmm::v1::RateLimit* r = nullptr;
  if (absl::ConsumePrefix(&key, "rx-")) {
    r = rx;
  } else if (absl::ConsumePrefix(&key, "tx-")) {
    r = tx;
  } else {
    return false;
  }
  void (vmm::v1::RateLimit::*set)(uint64_t) = nullptr;
  if (key == "bps") set = &vmm::v1::RateLimit::set_bytes_per_second;
  if (key == "bps-burst") set = &vmm::v1::RateLimit::set_bytes_burst;
  if (key == "pps") set = &vmm::v1::RateLimit::set_packets_per_second;
  if (key == "pps-burst") set = &vmm::v1::RateLimit::set_packets_burst;
  if (set == nullptr) return false;
  auto v = ParseUnsigned<uint64_t>(key, value, UINT64_MAX);
  if (!v.ok()) return v.status();
  (r->*set)(*v);
  return true;
}

absl::StatusOr<vmm::v1::Nic> ParseNic(absl::string_view text) {
  vmm::v1::Nic nic;
  if (text.empty()) return nic;  // --nic '': a daemon-created tap.
  for (auto& [key, value] : SplitItems(text)) {
    if (!value.has_value()) {
      return UsageError(absl::StrCat("--nic ", text, ": '", key,
                                     "' needs a value (tap=, mac=, queues=, "
                                     "mtu=)"));
    }
    if (key == "tap") {
      nic.set_tap(*value);
    } else if (key == "mac") {
      nic.set_mac(*value);
    } else if (key == "queues") {
      auto q = ParseUnsigned<uint32_t>("nic queues", *value, UINT32_MAX);
      if (!q.ok()) return q.status();
      nic.set_num_queue_pairs(*q);
    } else if (key == "mtu") {
      auto m = ParseUnsigned<uint32_t>("nic mtu", *value, UINT32_MAX);
      if (!m.ok()) return m.status();
      nic.set_mtu(*m);
    } else {
      auto rate = ApplyRateItem(key, *value, nic.mutable_rx_rate_limit(),
                                nic.mutable_tx_rate_limit());
      if (!rate.ok()) return rate.status();
      if (!*rate) {
        return UsageError(absl::StrCat("--nic ", text, ": unknown key '", key,
                                       "' (tap=, mac=, queues=, mtu=, {rx,tx}-{bps,pps}[-burst]=)"));
      }
    }
  }
  return nic;
}

absl::StatusOr<Invocation> ParseArgs(const std::vector<std::string>& args) {
  Invocation inv;
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> flags;  // In order.
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg == "-h") {
      inv.help = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    auto it = Flags().find(name);
    if (it == Flags().end()) {
      return UsageError(absl::StrCat("unknown option --", name));
    }
    if (it->second.takes_value && !value.has_value()) {
      if (i + 1 >= args.size()) {
        return UsageError(absl::StrCat("option --", name, " needs a value"));
      }
      value = args[++i];
    } else if (!it->second.takes_value && value.has_value()) {
      return UsageError(absl::StrCat("option --", name, " takes no value"));
    }
    flags.emplace_back(name, value.value_or(""));
  }

  for (const auto& [name, value] : flags) {
    if (name == "help") inv.help = true;
  }
  if (inv.help) return inv;
  if (positional.empty()) return UsageError("missing command");
  auto cmd = Commands().find(positional[0]);
  if (cmd == Commands().end()) {
    return UsageError(absl::StrCat("unknown command '", positional[0], "'"));
  }
  const CommandDef& def = cmd->second;
  inv.command = def.command;
  int nargs = static_cast<int>(positional.size()) - 1;
  if (nargs < def.min_args || nargs > def.max_args) {
    return UsageError(absl::StrCat(positional[0], ": takes ",
                                   def.min_args == def.max_args
                                       ? absl::StrCat(def.min_args)
                                       : absl::StrCat(def.min_args, "..", def.max_args),
                                   " argument(s), got ", nargs));
  }

  for (const auto& [name, value] : flags) {
    const FlagDef& fd = Flags().at(name);
    if (!(fd.scope & (kGlobal | def.scope))) {
      return UsageError(
          absl::StrCat("option --", name, " does not apply to '", positional[0], "'"));
    }
    if (name == "socket") {
      inv.conn.socket = value;
    } else if (name == "server") {
      inv.conn.server = value;
    } else if (name == "tls-ca") {
      inv.conn.tls_ca = value;
    } else if (name == "tls-cert") {
      inv.conn.tls_cert = value;
    } else if (name == "tls-key") {
      inv.conn.tls_key = value;
    } else if (name == "json") {
      inv.json = true;
    } else if (name == "id") {
      inv.vm_is_id = true;
    } else if (name == "timeout-ms") {
      auto v = ParseUnsigned<uint32_t>(name, value, UINT32_MAX);
      if (!v.ok()) return v.status();
      if (def.command == Command::kConsole) {
        inv.console_timeout_ms = *v;
      } else {
        inv.timeout_ms = *v;
      }
    } else if (name == "force") {
      inv.force = true;
    } else if (name == "replay") {
      inv.replay = true;
    } else {
      absl::Status s = ApplyCreateFlag(name, value, inv.create);
      if (!s.ok()) return s;
    }
  }

  if (def.command == Command::kCreate) {
    if (nargs == 1) {
      if (inv.create.name.has_value() && *inv.create.name != positional[1]) {
        return UsageError(absl::StrCat("create: name given twice ('", positional[1],
                                       "' and --name ", *inv.create.name, ")"));
      }
      inv.create.name = positional[1];
    }
    const CreateFlags& f = inv.create;
    if (f.payload.has_value() &&
        (f.kernel || f.initrd || f.cmdline || f.firmware || f.x86_entry)) {
      return UsageError(
          "create: --payload excludes --kernel/--initrd/--cmdline/--firmware/--x86-entry");
    }
    if (f.vsock_uds.has_value() && !f.vsock_cid.has_value()) {
      return UsageError("create: --vsock-uds needs --vsock-cid");
    }
    if (f.spec_file.empty()) {
      if (!f.name.has_value()) {
        return UsageError("create: a name is required (--name or argument)");
      }
      if (!f.payload.has_value() && !f.kernel.has_value()) {
        return UsageError("create: a boot source is required (--payload or --kernel)");
      }
      if (!f.kernel.has_value() && (f.initrd || f.cmdline || f.firmware || f.x86_entry)) {
        return UsageError("create: --initrd/--cmdline/--firmware/--x86-entry need --kernel");
      }
    }
  } else if (def.command == Command::kCapture) {
    // capture start VM FILE | capture stop VM | capture VM -
    const std::string& a = positional[1];
    if (a == "start" && nargs == 3) {
      inv.capture_action = Invocation::CaptureAction::kStart;
      inv.vm = positional[2];
      inv.capture_path = positional[3];
    } else if (a == "stop" && nargs == 2) {
      inv.capture_action = Invocation::CaptureAction::kStop;
      inv.vm = positional[2];
    } else if (nargs == 2 && positional[2] == "-") {
      inv.capture_action = Invocation::CaptureAction::kStream;
      inv.vm = a;
    } else {
      return UsageError("capture: use 'capture start VM FILE', 'capture stop VM' or 'capture VM -'");
    }
  } else if (def.command == Command::kNic) {
    if (positional[1] != "set-rate") {
      return UsageError(absl::StrCat("nic: unknown action '", positional[1],
                                     "'; use 'nic set-rate VM INDEX [LIMITS]'"));
    }
    inv.vm = positional[2];
    auto index = ParseUnsigned<uint32_t>("nic INDEX", positional[3], UINT32_MAX);
    if (!index.ok()) return index.status();
    inv.nic_index = *index;
    if (nargs == 4) {
      for (auto& [key, value] : SplitItems(positional[4])) {
        absl::StatusOr<bool> ok = value.has_value()
                                      ? ApplyRateItem(key, *value, &inv.rx_limit, &inv.tx_limit)
                                      : absl::StatusOr<bool>(false);
        if (!ok.ok()) return ok.status();
        if (!*ok) {
          return UsageError(absl::StrCat("nic set-rate: '", key,
                                         "' is not a limit ({rx,tx}-{bps,pps}[-burst]=N)"));
        }
      }
    }
  } else if (nargs == 1) {
    inv.vm = positional[1];
  }
  if (!inv.conn.server.empty() && inv.conn.tls_ca.empty()) {
    return UsageError("--server needs --tls-ca (TCP is TLS-only)");
  }
  if (inv.conn.tls_cert.empty() != inv.conn.tls_key.empty()) {
    return UsageError("--tls-cert and --tls-key go together");
  }
  return inv;
}

absl::StatusOr<vmm::v1::VmSpec> BuildCreateSpec(const CreateFlags& f, absl::string_view spec_json) {
  vmm::v1::VmSpec spec;
  if (!f.spec_file.empty()) {
    auto s = google::protobuf::util::JsonStringToMessage(std::string(spec_json), &spec);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--spec ", f.spec_file, ": not a vmm.v1.VmSpec in JSON: ", std::string(s.message())));
    }
  } else {
    spec.set_arch(vmm::v1::X86_64);
    spec.set_vcpus(1);
    spec.set_memory_mib(256);
  }
  if (f.name) spec.set_name(*f.name);
  if (f.arch) spec.set_arch(*f.arch);
  if (f.vcpus) spec.set_vcpus(*f.vcpus);
  if (f.memory_mib) spec.set_memory_mib(*f.memory_mib);
  if (f.accel) spec.set_accelerator(*f.accel);
  if (f.payload) {
    spec.mutable_boot()->mutable_payload()->set_path(*f.payload);
  } else if (f.kernel || f.initrd || f.cmdline || f.firmware || f.x86_entry) {
    // Flags refine a kernel boot from the file, or start a new one.
    vmm::v1::KernelBoot* k = spec.mutable_boot()->mutable_kernel();
    if (f.kernel) k->set_kernel_path(*f.kernel);
    if (f.initrd) k->set_initrd_path(*f.initrd);
    if (f.cmdline) k->set_cmdline(*f.cmdline);
    if (f.firmware) k->set_firmware_path(*f.firmware);
    if (f.x86_entry) k->set_x86_entry(*f.x86_entry);
  }
  for (const auto& d : f.disks) *spec.add_disks() = d;
  for (const auto& n : f.nics) *spec.add_nics() = n;
  if (f.vsock_cid) spec.mutable_vsock()->set_guest_cid(*f.vsock_cid);
  if (f.vsock_uds) spec.mutable_vsock()->set_uds_path(*f.vsock_uds);
  return spec;
}

std::string Usage() {
  return R"(usage: vmctl [global options] <command> [options] [VM]

Commands:
  create [NAME] [--spec FILE.json] [--name NAME] [--arch x86_64|riscv64]
         [--vcpus N] [--memory-mib N] [--accel auto|kvm|tcg]
         (--payload PATH | --kernel PATH [--initrd PATH] [--cmdline STR]
          [--firmware PATH] [--x86-entry 32|64])
         [--disk path=IMG[,ro][,serial=S][,cache=writeback|none|unsafe]
                 [,queues=N]]...
         [--nic [tap=NAME][,mac=MAC][,queues=N][,mtu=N][,LIMITS]]...
         [--vsock-cid N [--vsock-uds PATH]]
      Flags override fields of the --spec file (protobuf JSON of
      vmm.v1.VmSpec). Without --spec: x86_64, 1 vCPU, 256 MiB, auto.
      --x86-entry: how an x86_64 bzImage is entered: 32 = startup_32,
      paging off (the default); 64 = startup_64 in long mode on a 4 GiB
      identity map (boot.rst "64-bit BOOT PROTOCOL"). JSON:
      "boot": {"kernel": {..., "x86_entry": "X86_ENTRY_64BIT"}}.
  start VM | reboot VM | pause VM | resume VM | delete VM | get VM
  stop VM [--timeout-ms N] [--force]
  list
  watch [VM]             stream state changes until Ctrl-C
  capture start VM FILE  vsock packets to a pcap file (tshark -r FILE)
  capture stop VM
  capture VM -           the pcap stream on stdout: vmctl capture VM - | tshark -r -
  nic set-rate VM INDEX [LIMITS]
      LIMITS: {rx,tx}-{bps,pps}[-burst]=N,... (bytes/s, packets/s; rx is
      host->guest); omitted ones become unlimited.
  console VM [--replay] [--timeout-ms N]
      Interactive on a terminal; Ctrl-] detaches. Otherwise stdin is sent
      as input and output is printed until the stream ends, a Ctrl-] byte
      arrives on stdin, or --timeout-ms passes.

VM is a name or an id; a name is tried first, then an id (--id: id only).

Global options:
  --socket PATH          daemon unix socket (default /run/vmmd/vmmd.sock)
  --server HOST:PORT     TCP with TLS instead; needs --tls-ca, and
  --tls-ca PEM --tls-cert PEM --tls-key PEM   for the client certificate
  --json                 protobuf JSON output, one object per line
  -h, --help

Exit status: 0 ok, 1 the daemon refused (prints CODE: message), 2 usage.
)";
}

}  // namespace vmctl
