#include "api/validation.h"

#include "api/net_validation.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/fd.h"
#include "vmm/base/status_macros.h"
#include "vmm/fdt/riscv_virt_fdt.h"
#include "vmm/worker/files.h"

namespace vmm::api {
namespace {

constexpr uint32_t kDesignMaxVcpus = 64;

absl::Status Invalid(absl::string_view field, absl::string_view value, absl::string_view fix) {
  return absl::InvalidArgumentError(absl::StrCat(field, "=", value, ": ", fix));
}

// The file must be an absolute path to a regular file this daemon (and so
// the worker it starts) can read.
absl::Status CheckFile(absl::string_view field, const std::string& path, bool required) {
  if (path.empty()) {
    if (!required) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(field, ": required; give an absolute path"));
  }
  if (path[0] != '/') return Invalid(field, path, "must be an absolute path");
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return Invalid(field, path,
                   absl::StrCat(std::strerror(errno), "; give an existing, readable file"));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Invalid(field, path, "not a regular file");
  }
  return absl::OkStatus();
}

uint64_t ReadMemTotalMib() {
  absl::StatusOr<std::string> meminfo = ReadFileToString("/proc/meminfo");
  if (!meminfo.ok()) return 0;
  for (absl::string_view line : absl::StrSplit(*meminfo, '\n')) {
    if (!absl::ConsumePrefix(&line, "MemTotal:")) continue;
    line = absl::StripAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, "kB");
    uint64_t kib = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kib)) return kib / 1024;
  }
  return 0;
}

// Disks are checked for form here; the image itself is opened (and locked)
// by the worker at StartVm, so that an image may be created after the VM
// is defined, and a missing or locked one fails StartVm by name.
absl::Status ValidateDisks(const v1::VmSpec& spec) {
  if (spec.disks_size() > static_cast<int>(kMaxDisks)) {
    return Invalid("spec.disks", absl::StrCat(spec.disks_size(), " disks"),
                   absl::StrCat("at most ", kMaxDisks, " per VM"));
  }
  for (int i = 0; i < spec.disks_size(); ++i) {
    const v1::Disk& d = spec.disks(i);
    const std::string field = absl::StrCat("spec.disks[", i, "]");
    if (d.path().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".path: required; give the absolute path of a raw image"));
    }
    if (d.path()[0] != '/') return Invalid(field + ".path", d.path(), "must be an absolute path");
    for (int j = 0; j < i; ++j) {
      if (spec.disks(j).path() == d.path()) {
        return Invalid(field + ".path", d.path(),
                       absl::StrCat("already used by spec.disks[", j, "]; give each disk its own image"));
      }
    }
    if (d.serial().size() > kMaxDiskSerialBytes) {
      return Invalid(field + ".serial", absl::StrCat("\"", d.serial(), "\""),
                     absl::StrCat(d.serial().size(), " bytes; at most ", kMaxDiskSerialBytes,
                                  " (VIRTIO_BLK_ID_BYTES)"));
    }
    if (d.num_queues() > kMaxDiskQueues) {
      return Invalid(field + ".num_queues", absl::StrCat(d.num_queues()),
                     absl::StrCat("must be 0 (one per vCPU) .. ", kMaxDiskQueues));
    }
    if (!v1::CacheMode_IsValid(d.cache())) {
      return Invalid(field + ".cache", absl::StrCat(d.cache()),
                     "must be CACHE_MODE_UNSPECIFIED, WRITEBACK, NONE or UNSAFE");
    }
  }
  return absl::OkStatus();
}

// The riscv64 virt machine has one virtio-mmio slot per device and a fixed
// number of slots (QEMU `virt`: 8, vmm/fdt/riscv_virt_fdt.h). Checked here
// so CreateVm refuses the spec instead of StartVm failing in the worker.
absl::Status CheckRiscvVirtioSlots(const v1::VmSpec& spec) {
  if (spec.arch() != v1::RISCV64) return absl::OkStatus();
  const int vsock = spec.has_vsock() ? 1 : 0;
  const int wanted = spec.disks_size() + spec.nics_size() + vsock;
  if (wanted <= riscv_virt::kVirtioCount) return absl::OkStatus();
  return Invalid("spec.disks+spec.nics+spec.vsock",
                 absl::StrCat(wanted, " virtio devices (", spec.disks_size(), " disks, ",
                              spec.nics_size(), " NICs, ", vsock, " vsock)"),
                 absl::StrCat("a RISCV64 VM has ", riscv_virt::kVirtioCount,
                              " virtio-mmio slots; remove ", wanted - riscv_virt::kVirtioCount,
                              " of them"));
}

}  // namespace

HostLimits ProbeHostLimits() {
  HostLimits l;
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < 1) cpus = 1;
  l.max_vcpus = static_cast<uint32_t>(std::min<long>(kDesignMaxVcpus, 8 * cpus));
  l.memory_mib = ReadMemTotalMib();
#if defined(__x86_64__)
  l.host_arch = v1::X86_64;
#elif defined(__riscv)
  l.host_arch = v1::RISCV64;
#else
  l.host_arch = v1::ARCH_UNSPECIFIED;
#endif
  return l;
}

bool IsValidVmName(absl::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!absl::ascii_isalnum(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

absl::Status ValidateSpec(const v1::VmSpec& spec, const HostLimits& limits) {
  if (!IsValidVmName(spec.name())) {
    return Invalid("spec.name", absl::StrCat("\"", spec.name(), "\""),
                   "must match [a-zA-Z0-9][a-zA-Z0-9._-]{0,62}");
  }
  if (spec.arch() != v1::X86_64 && spec.arch() != v1::RISCV64) {
    return Invalid("spec.arch", v1::Arch_Name(spec.arch()), "set X86_64 or RISCV64");
  }
  if (spec.vcpus() < 1 || spec.vcpus() > limits.max_vcpus) {
    return Invalid("spec.vcpus", absl::StrCat(spec.vcpus()),
                   absl::StrCat("must be 1..", limits.max_vcpus));
  }
  if (spec.memory_mib() < 1 || spec.memory_mib() > limits.memory_mib) {
    return Invalid("spec.memory_mib", absl::StrCat(spec.memory_mib()),
                   absl::StrCat("must be 1..", limits.memory_mib, " (the host's memory)"));
  }
  switch (spec.accelerator()) {
    case v1::AUTO:
      break;
    case v1::KVM:
      if (spec.arch() != limits.host_arch) {
        return Invalid("spec.accelerator", "KVM",
                       absl::StrCat("KVM runs only ", v1::Arch_Name(limits.host_arch),
                                    " guests on this host; use AUTO or TCG"));
      }
      break;
    case v1::TCG:
      if (spec.arch() != v1::RISCV64) {
        return Invalid("spec.accelerator", "TCG",
                       "the TCG backend runs only RISCV64 guests; use AUTO or KVM");
      }
      break;
    default:
      return Invalid("spec.accelerator", absl::StrCat(spec.accelerator()), "set AUTO, KVM or TCG");
  }
  switch (spec.boot().source_case()) {
    case v1::BootSource::kPayload: {
      absl::Status s = CheckFile("spec.boot.payload.path", spec.boot().payload().path(), true);
      if (!s.ok()) return s;
      break;
    }
    case v1::BootSource::kKernel: {
      const v1::KernelBoot& k = spec.boot().kernel();
      absl::Status s = CheckFile("spec.boot.kernel.kernel_path", k.kernel_path(), true);
      if (s.ok()) s = CheckFile("spec.boot.kernel.initrd_path", k.initrd_path(), false);
      if (s.ok()) s = CheckFile("spec.boot.kernel.firmware_path", k.firmware_path(), false);
      if (!s.ok()) return s;
      if (!v1::X86Entry_IsValid(k.x86_entry())) {
        return Invalid("spec.boot.kernel.x86_entry", absl::StrCat(k.x86_entry()),
                       "set X86_ENTRY_DEFAULT, X86_ENTRY_32BIT or X86_ENTRY_64BIT");
      }
      if (spec.arch() != v1::X86_64 && k.x86_entry() != v1::X86_ENTRY_DEFAULT) {
        return Invalid("spec.boot.kernel.x86_entry", v1::X86Entry_Name(k.x86_entry()),
                       absl::StrCat("applies to X86_64 bzImages only; leave it at "
                                    "X86_ENTRY_DEFAULT for ",
                                    v1::Arch_Name(spec.arch())));
      }
      break;
    }
    default:
      return absl::InvalidArgumentError("spec.boot: required; set kernel or payload");
  }
  RETURN_IF_ERROR(ValidateDisks(spec));
  RETURN_IF_ERROR(ValidateNetDevices(spec));
  return CheckRiscvVirtioSlots(spec);
}

absl::Status ValidateRef(const v1::VmRef& ref, absl::string_view field) {
  switch (ref.ref_case()) {
    case v1::VmRef::kId:
      if (ref.id().empty()) return absl::InvalidArgumentError(absl::StrCat(field, ".id: empty"));
      return absl::OkStatus();
    case v1::VmRef::kName:
      if (ref.name().empty())
        return absl::InvalidArgumentError(absl::StrCat(field, ".name: empty"));
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(absl::StrCat(field, ": set exactly one of id or name"));
  }
}

}  // namespace vmm::api
