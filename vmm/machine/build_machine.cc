// BuildMachine(): picks the machine for a spec's arch and accelerator.
#include "absl/strings/str_cat.h"
#include "vmm/machine/machine.h"
#include "vmm/machine/riscv/riscv_virt_machine.h"
#include "vmm/machine/x86/x86_kvm_machine.h"

namespace vmm {

namespace {

// Arch/accel combinations that have no machine yet.
absl::Status CheckAvailable(const MachineSpec& spec) {
  switch (spec.arch) {
    case GuestArch::kRiscv64:
      return absl::OkStatus();  // RiscvVirtMachine::ValidateSpec checks accel
    case GuestArch::kX86_64:
      break;
  }
  switch (spec.accel) {
    case AccelKind::kTcg:
      return absl::UnimplementedError(
          "accel=tcg: the TCG accelerator is not available yet; use kvm or auto for x86_64");
    case AccelKind::kAuto:  // x86_64 on this x86_64 host: KVM (no TCG fallback yet).
    case AccelKind::kKvm:
      break;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateMachineSpec(const MachineSpec& spec) {
  absl::Status status = CheckAvailable(spec);
  if (!status.ok()) return status;
  if (spec.arch == GuestArch::kRiscv64) return RiscvVirtMachine::ValidateSpec(spec);
  return X86KvmMachine::ValidateSpec(spec);
}

absl::StatusOr<std::unique_ptr<Machine>> BuildMachine(const MachineSpec& spec,
                                                      ConsoleOutput console) {
  absl::Status available = CheckAvailable(spec);
  if (!available.ok()) return available;
  if (spec.arch == GuestArch::kRiscv64) {
    // riscv64 on this x86_64 host: the TCG (AUTO picks it; KVM is refused).
    absl::StatusOr<std::unique_ptr<RiscvVirtMachine>> rv =
        RiscvVirtMachine::Create(spec, std::move(console));
    if (!rv.ok()) return rv.status();
    return std::unique_ptr<Machine>(std::move(*rv));
  }
  absl::StatusOr<std::unique_ptr<X86KvmMachine>> machine =
      X86KvmMachine::Create(spec, std::move(console));
  if (!machine.ok()) return machine.status();
  return std::unique_ptr<Machine>(std::move(*machine));
}

}  // namespace vmm
