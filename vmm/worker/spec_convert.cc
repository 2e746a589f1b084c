#include "vmm/worker/spec_convert.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "vmm/worker/net_spec_convert.h"

namespace vmm::worker {

absl::StatusOr<MachineSpec> ToMachineSpec(const v1::VmSpec& spec) {
  MachineSpec out;
  switch (spec.arch()) {
    case v1::X86_64:
      out.arch = GuestArch::kX86_64;
      break;
    case v1::RISCV64:
      out.arch = GuestArch::kRiscv64;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("spec.arch=", v1::Arch_Name(spec.arch()), ": must be X86_64 or RISCV64"));
  }
  switch (spec.accelerator()) {
    case v1::AUTO:
      out.accel = AccelKind::kAuto;
      break;
    case v1::KVM:
      out.accel = AccelKind::kKvm;
      break;
    case v1::TCG:
      out.accel = AccelKind::kTcg;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("spec.accelerator=", spec.accelerator(), ": unknown"));
  }
  out.vcpus = spec.vcpus();
  // memory_mib is bounded by the host's memory at validation; the shift
  // cannot overflow for any value below 2^44 MiB.
  if (spec.memory_mib() == 0 || spec.memory_mib() >= (uint64_t{1} << 44)) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.memory_mib=", spec.memory_mib(), ": out of range"));
  }
  out.memory_bytes = spec.memory_mib() << 20;
  switch (spec.boot().source_case()) {
    case v1::BootSource::kPayload:
      out.payload_path = spec.boot().payload().path();
      break;
    case v1::BootSource::kKernel:
      out.kernel_path = spec.boot().kernel().kernel_path();
      out.initrd_path = spec.boot().kernel().initrd_path();
      out.cmdline = spec.boot().kernel().cmdline();
      out.firmware_path = spec.boot().kernel().firmware_path();
      switch (spec.boot().kernel().x86_entry()) {
        case v1::X86_ENTRY_DEFAULT:
        case v1::X86_ENTRY_32BIT:
          out.x86_entry = X86KernelEntry::k32Bit;
          break;
        case v1::X86_ENTRY_64BIT:
          out.x86_entry = X86KernelEntry::k64Bit;
          break;
        default:
          return absl::InvalidArgumentError(absl::StrCat(
              "spec.boot.kernel.x86_entry=", spec.boot().kernel().x86_entry(), ": unknown"));
      }
      break;
    default:
      return absl::InvalidArgumentError("spec.boot: set a kernel or a payload");
  }
  for (int i = 0; i < spec.disks_size(); ++i) {
    const v1::Disk& d = spec.disks(i);
    DiskConfig disk;
    disk.path = d.path();
    disk.read_only = d.read_only();
    disk.serial = d.serial();
    switch (d.cache()) {
      case v1::CACHE_MODE_UNSPECIFIED:
      case v1::WRITEBACK:
        disk.cache = DiskCache::kWriteback;
        break;
      case v1::NONE:
        disk.cache = DiskCache::kNone;
        break;
      case v1::UNSAFE:
        disk.cache = DiskCache::kUnsafe;
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("spec.disks[", i, "].cache=", d.cache(), ": unknown cache mode"));
    }
    // 0: one queue per vCPU (Linux's virtio_blk then maps one per CPU),
    // capped at the device's 64.
    disk.num_queues = d.num_queues() != 0 ? d.num_queues() : std::min<uint32_t>(out.vcpus, 64);
    if (disk.num_queues == 0) disk.num_queues = 1;
    out.disks.push_back(std::move(disk));
  }
  absl::Status net = AddNetDevices(spec, &out);
  if (!net.ok()) return net;
  return out;
}

}  // namespace vmm::worker
