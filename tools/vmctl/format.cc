#include "tools/vmctl/format.h"

#include <algorithm>
#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace vmctl {
namespace {

std::string Lower(const std::string& s) { return s.empty() ? "-" : absl::AsciiStrToLower(s); }

std::string Timestamp(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

bool Live(vmm::v1::State s) { return s == vmm::v1::RUNNING || s == vmm::v1::PAUSED; }

std::string Accel(const vmm::v1::Vm& vm) {
  if (Live(vm.status().state())) return AccelName(vm.status().accelerator());
  return AccelName(vm.spec().accelerator());
}

std::string BootText(const vmm::v1::BootSource& boot) {
  if (boot.has_payload()) return absl::StrCat("payload ", boot.payload().path());
  if (boot.has_kernel()) {
    const auto& k = boot.kernel();
    std::string s = absl::StrCat("kernel ", k.kernel_path());
    if (!k.initrd_path().empty()) absl::StrAppend(&s, " initrd ", k.initrd_path());
    if (!k.firmware_path().empty()) {
      absl::StrAppend(&s, " firmware ", k.firmware_path());
    }
    if (k.x86_entry() == vmm::v1::X86_ENTRY_32BIT) absl::StrAppend(&s, " x86-entry 32");
    if (k.x86_entry() == vmm::v1::X86_ENTRY_64BIT) absl::StrAppend(&s, " x86-entry 64");
    if (!k.cmdline().empty()) absl::StrAppend(&s, " cmdline \"", k.cmdline(), "\"");
    return s;
  }
  return "-";
}

}  // namespace

std::string StateName(vmm::v1::State state) {
  if (state == vmm::v1::STATE_UNSPECIFIED) return "-";
  return Lower(vmm::v1::State_Name(state));
}

std::string ReasonName(vmm::v1::StateReason reason) {
  if (reason == vmm::v1::REASON_UNSPECIFIED) return "-";
  return Lower(vmm::v1::StateReason_Name(reason));
}

std::string AccelName(vmm::v1::Accelerator accel) {
  return Lower(vmm::v1::Accelerator_Name(accel));
}

std::string ArchName(vmm::v1::Arch arch) {
  if (arch == vmm::v1::ARCH_UNSPECIFIED) return "-";
  return Lower(vmm::v1::Arch_Name(arch));
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (row.size() > width.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string FormatVmTable(const std::vector<vmm::v1::Vm>& vms) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "ID", "STATE", "REASON", "VCPUS", "MEMORY", "ACCEL"}};
  for (const auto& vm : vms) {
    rows.push_back({vm.spec().name().empty() ? "-" : vm.spec().name(),
                    vm.id().empty() ? "-" : vm.id(), StateName(vm.status().state()),
                    ReasonName(vm.status().reason()), absl::StrCat(vm.spec().vcpus()),
                    absl::StrCat(vm.spec().memory_mib(), "MiB"), Accel(vm)});
  }
  return FormatTable(rows);
}

std::string FormatVmDetails(const vmm::v1::Vm& vm) {
  const auto& spec = vm.spec();
  const auto& st = vm.status();
  std::vector<std::vector<std::string>> rows;
  auto add = [&rows](std::string key, std::string value) {
    rows.push_back({absl::StrCat(key, ":"), std::move(value)});
  };
  add("Name", spec.name());
  add("ID", vm.id());
  add("State", absl::StrCat(StateName(st.state()), " (", ReasonName(st.reason()), ")"));
  if (!st.message().empty()) add("Message", st.message());
  add("State since", Timestamp(st.state_since()));
  add("Arch", ArchName(spec.arch()));
  add("vCPUs", absl::StrCat(spec.vcpus()));
  add("Memory", absl::StrCat(spec.memory_mib(), " MiB"));
  std::string accel = absl::StrCat("requested ", AccelName(spec.accelerator()));
  if (Live(st.state())) {
    accel = absl::StrCat(AccelName(st.accelerator()), " (", accel, ")");
  }
  add("Accelerator", accel);
  add("Boot", BootText(spec.boot()));
  for (int i = 0; i < spec.disks_size(); ++i) {
    const auto& d = spec.disks(i);
    std::string text = absl::StrCat(d.path(), d.read_only() ? " ro" : " rw");
    if (!d.serial().empty()) absl::StrAppend(&text, " serial=", d.serial());
    if (d.cache() != vmm::v1::CACHE_MODE_UNSPECIFIED) {
      absl::StrAppend(&text, " cache=", Lower(vmm::v1::CacheMode_Name(d.cache())));
    }
    if (i < vm.counters().disks_size()) {
      const auto& c = vm.counters().disks(i);
      absl::StrAppend(&text, " reads=", c.read_requests(), "/", c.read_bytes(),
                      "B writes=", c.write_requests(), "/", c.write_bytes(),
                      "B flushes=", c.flushes(), " errors=", c.errors());
    }
    add(absl::StrCat("Disk ", i), text);
  }
  for (int i = 0; i < spec.nics_size(); ++i) {
    const auto& n = spec.nics(i);
    std::string text = absl::StrCat("tap=", n.tap().empty() ? "(auto)" : n.tap(),
                                    " mac=", n.mac().empty() ? "(auto)" : n.mac());
    if (i < vm.counters().nics_size()) {
      const auto& c = vm.counters().nics(i);
      if (!c.tap().empty() && n.tap().empty()) absl::StrAppend(&text, " (", c.tap(), ")");
      absl::StrAppend(&text, " rx=", c.rx_packets(), "/", c.rx_bytes(), "B tx=", c.tx_packets(),
                      "/", c.tx_bytes(), "B drops=", c.rx_dropped(), "/", c.tx_dropped(),
                      " rate_limited=", c.rate_limited());
    }
    auto limit = [](const vmm::v1::RateLimit& r) {
      if (r.bytes_per_second() == 0 && r.packets_per_second() == 0) return std::string("-");
      return absl::StrCat(r.bytes_per_second(), "B/s,", r.packets_per_second(), "pkt/s");
    };
    if (n.has_rx_rate_limit() || n.has_tx_rate_limit()) {
      absl::StrAppend(&text, " limits rx=", limit(n.rx_rate_limit()),
                      " tx=", limit(n.tx_rate_limit()));
    }
    add(absl::StrCat("NIC ", i), text);
  }
  if (spec.has_vsock()) {
    add("Vsock",
        absl::StrCat("cid=", spec.vsock().guest_cid(), " uds=",
                     spec.vsock().uds_path().empty() ? "(default)" : spec.vsock().uds_path(),
                     vm.counters().has_vsock()
                         ? absl::StrCat(" connections=", vm.counters().vsock().connections(),
                                        " rx=", vm.counters().vsock().rx_bytes(),
                                        "B tx=", vm.counters().vsock().tx_bytes(), "B")
                         : ""));
  }
  add("Worker PID", st.worker_pid() > 0 ? absl::StrCat(st.worker_pid()) : "-");
  add("Boot count", absl::StrCat(st.boot_count()));
  add("Created", Timestamp(vm.created_at()));
  return FormatTable(rows);
}

std::string FormatEvent(const vmm::v1::VmEvent& event) {
  const auto& st = event.status();
  std::string time = Timestamp(st.state_since());
  std::string name = event.vm_name().empty() ? "-" : event.vm_name();
  std::string id = event.vm_id().empty() ? "-" : event.vm_id();
  if (event.deleted()) return absl::StrCat(time, " ", name, " ", id, " deleted\n");
  std::string line = absl::StrCat(time, " ", name, " ", id, " ", StateName(st.state()), " ",
                                  ReasonName(st.reason()));
  if (!st.message().empty()) absl::StrAppend(&line, " ", st.message());
  return line + "\n";
}

absl::StatusOr<std::string> ToJsonLine(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  auto s = google::protobuf::util::MessageToJsonString(m, &out, options);
  if (!s.ok()) {
    return absl::InternalError(absl::StrCat("JSON encoding failed: ", std::string(s.message())));
  }
  return out + "\n";
}

}  // namespace vmctl
