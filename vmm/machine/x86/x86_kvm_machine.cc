#include "vmm/machine/x86/x86_kvm_machine.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "devices/testdev/test_mmio_device.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/fd.h"
#include "vmm/base/log.h"
#include "vmm/base/status_macros.h"
#include "vmm/machine/accel_irq_line.h"
#include "vmm/machine/disks.h"
#include "vmm/machine/net_devices.h"
#include "vmm/machine/io_dispatch.h"
#include "vmm/machine/x86/acpi_tables.h"
#include "vmm/machine/x86/boot_gdt.h"
#include "vmm/machine/x86/linux_boot.h"
#include "vmm/machine/x86/long_mode_boot.h"
#include "vmm/machine/x86/pci_aml.h"
#include "vmm/machine/x86/pvh_boot.h"
#include "vmm/machine/x86/x86_layout.h"

namespace vmm {
namespace {

// Reads a whole regular file of at most `max_bytes`.
absl::StatusOr<std::string> ReadPayloadFile(const std::string& path, uint64_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return ErrnoStatus(absl::StrCat("payload ", path));
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return ErrnoStatus(absl::StrCat("payload ", path, ": fstat"));
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("payload ", path, ": not a regular file"));
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == 0) return absl::InvalidArgumentError(absl::StrCat("payload ", path, ": empty file"));
  if (size > max_bytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "payload %s: %d bytes does not fit in guest RAM above 0x%x (%d bytes available); "
        "raise memory_bytes",
        path, size, X86KvmMachine::kPayloadAddress, max_bytes));
  }
  std::string data(size, '\0');
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd.get(), &data[done], size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(absl::StrCat("payload ", path, ": read"));
    if (n == 0) break;  // Shrunk while reading: load what is there.
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  return data;
}

absl::Span<const uint8_t> AsBytes(const std::string& s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace

absl::Status X86KvmMachine::ValidateSpec(const MachineSpec& spec) {
  if (spec.arch != GuestArch::kX86_64) {
    return absl::InvalidArgumentError("x86 KVM machine: arch must be x86_64");
  }
  if (spec.vcpus < 1 || spec.vcpus > kMaxVcpus) {
    return absl::InvalidArgumentError(
        absl::StrFormat("vcpus=%d: must be 1..%d", spec.vcpus, kMaxVcpus));
  }
  if (spec.memory_bytes % 4096 != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("memory_bytes=%d: must be a multiple of 4096", spec.memory_bytes));
  }
  if (spec.payload_path.empty()) {
    if (spec.kernel_path.empty()) {
      return absl::InvalidArgumentError("no boot source: set payload_path (or kernel_path)");
    }
    if (spec.memory_bytes < kMinKernelMemoryBytes || spec.memory_bytes > kMaxKernelMemoryBytes) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "memory_bytes=%d: must be %d (16 MiB) .. %d (256 GiB) for x86_64 kernel boot",
          spec.memory_bytes, kMinKernelMemoryBytes, kMaxKernelMemoryBytes));
    }
    if (spec.vcpus > 255) {
      return absl::InvalidArgumentError(
          absl::StrFormat("vcpus=%d: kernel boot describes CPUs with xAPIC ids, at most 255",
                          spec.vcpus));
    }
    return absl::OkStatus();
  }
  if (spec.memory_bytes < kMinMemoryBytes || spec.memory_bytes > kMaxMemoryBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "memory_bytes=%d: must be %d (1 MiB) .. %d (3 GiB) for x86_64 payload boot",
        spec.memory_bytes, kMinMemoryBytes, kMaxMemoryBytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<X86KvmMachine>> X86KvmMachine::Create(
    const MachineSpec& spec, ConsoleOutput console, X86MachineOptions options) {
  RETURN_IF_ERROR(ValidateSpec(spec));
  std::unique_ptr<X86KvmMachine> machine(new X86KvmMachine(spec, options));
  RETURN_IF_ERROR(machine->Build(std::move(console)));
  return machine;
}

absl::Status X86KvmMachine::Build(ConsoleOutput console) {
  const bool kernel_boot = spec_.payload_path.empty();
  std::vector<GuestMemory::RegionSpec> regions;
  for (const x86_layout::RamRegion& r : x86_layout::RamRegions(spec_.memory_bytes)) {
    regions.push_back({GuestAddress(r.start), r.size});
  }
  ASSIGN_OR_RETURN(memory_, GuestMemory::Create(regions));
  RETURN_IF_ERROR(kernel_boot ? LoadKernel() : LoadPayload());

  absl::StatusOr<std::unique_ptr<Kvm>> kvm = Kvm::Open();
  if (!kvm.ok()) {
    return absl::Status(kvm.status().code(), absl::StrCat("KVM is required for x86_64 guests: ",
                                                          kvm.status().message()));
  }
  kvm_ = std::move(*kvm);
  if (spec_.vcpus > kvm_->max_vcpus()) {
    return absl::InvalidArgumentError(absl::StrFormat("vcpus=%d: this host's KVM allows at most %d",
                                                      spec_.vcpus, kvm_->max_vcpus()));
  }
  ASSIGN_OR_RETURN(vm_, KvmVm::Create(kvm_.get()));
  RETURN_IF_ERROR(vm_->MapMemory(*memory_));

  std::vector<Vcpu*> raw;
  for (uint32_t id = 0; id < spec_.vcpus; ++id) {
    ASSIGN_OR_RETURN(std::unique_ptr<KvmVcpu> vcpu,
                     KvmVcpu::Create(vm_->fd(), id, kvm_->vcpu_mmap_size()));
    RETURN_IF_ERROR(vcpu->SetCpuid(kvm_->supported_cpuid(), spec_.vcpus));
    RETURN_IF_ERROR(vcpu->SetBootMsrs(kvm_->msr_index_list()));
    // Only the BSP takes 8259 interrupts, as a PC BIOS sets things up.
    RETURN_IF_ERROR(vcpu->SetupLapicLints(/*extint=*/id == 0));
    if (id == 0 && kernel_boot && entry_.long_mode) {
      RETURN_IF_ERROR(vcpu->SetLongModeEntry(x86_layout::kPml4Address, x86_layout::kGdtAddress,
                                             kLongModeGdtLimit, entry_.rip, entry_.rsi));
    } else if (id == 0 && kernel_boot) {
      RETURN_IF_ERROR(vcpu->SetProtectedModeEntry(
          x86_layout::kGdtAddress, kBootGdtLimit, static_cast<uint32_t>(entry_.rip),
          static_cast<uint32_t>(entry_.rbx), static_cast<uint32_t>(entry_.rsi)));
    } else if (id == 0) {
      RETURN_IF_ERROR(vcpu->SetRealModeEntry(kPayloadAddress >> 4, 0));
    } else {
      RETURN_IF_ERROR(vcpu->SetMpState(KVM_MP_STATE_UNINITIALIZED));
    }
    raw.push_back(vcpu.get());
    vcpus_.push_back(std::move(vcpu));
  }
  control_ = std::make_unique<RunControl>(std::move(raw));
  return SetupDevices(std::move(console));
}

absl::Status X86KvmMachine::LoadPayload() {
  ASSIGN_OR_RETURN(std::string payload,
                   ReadPayloadFile(spec_.payload_path, spec_.memory_bytes - kPayloadAddress));
  absl::Status status = memory_->Write(
      GuestAddress(kPayloadAddress),
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()));
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("payload ", spec_.payload_path, ": ", status.message()));
  }
  return absl::OkStatus();
}

absl::Status X86KvmMachine::LoadKernel() {
  const std::string& path = spec_.kernel_path;
  ASSIGN_OR_RETURN(std::string image, ReadBootFile("kernel", path, spec_.memory_bytes));
  if (IsElfImage(AsBytes(image))) return LoadPvhKernel(image);
  absl::StatusOr<BzImageInfo> info = ParseBzImage(AsBytes(image));
  if (!info.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("kernel ", path, ": ", info.status().message()));
  }
  ASSIGN_OR_RETURN(KernelBootInputs in, PrepareKernelBoot());
  absl::StatusOr<LinuxBootPlan> plan =
      PlanLinuxBoot(*info, spec_.memory_bytes, in.initrd.size(), in.cmdline.size());
  if (!plan.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("kernel ", path, ": ", plan.status().message()));
  }
  ASSIGN_OR_RETURN(LinuxEntry entry,
                   LoadLinux(memory_.get(), spec_.memory_bytes, *info, *plan, AsBytes(image),
                             AsBytes(in.initrd), in.cmdline, in.rsdp,
                             spec_.x86_entry == X86KernelEntry::k64Bit ? LinuxEntryMode::k64Bit
                                                                      : LinuxEntryMode::k32Bit));
  entry_ = {entry.mode == LinuxEntryMode::k64Bit, entry.rip, /*rbx=*/0, entry.rsi};
  Log(LogLevel::kInfo, "machine", "linux_loaded",
      {{"kernel", path},
       {"protocol", absl::StrFormat("%d.%02d", info->version >> 8, info->version & 0xff)},
       {"mode", entry.mode == LinuxEntryMode::k64Bit ? "startup_64" : "startup_32"},
       {"entry", absl::StrFormat("0x%x", entry.rip)},
       {"load_address", absl::StrFormat("0x%x", plan->kernel_address)},
       {"initrd_address", absl::StrFormat("0x%x", plan->initrd_address)},
       {"initrd_bytes", absl::StrCat(in.initrd.size())},
       {"cmdline", in.cmdline}});
  return absl::OkStatus();
}

absl::Status X86KvmMachine::LoadPvhKernel(const std::string& image) {
  const std::string& path = spec_.kernel_path;
  absl::StatusOr<PvhImageInfo> info = ParsePvhElf(AsBytes(image));
  if (!info.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("kernel ", path, ": ", info.status().message()));
  }
  ASSIGN_OR_RETURN(KernelBootInputs in, PrepareKernelBoot());
  absl::StatusOr<PvhBootPlan> plan =
      PlanPvhBoot(*info, spec_.memory_bytes, in.initrd.size(), in.cmdline.size());
  if (!plan.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("kernel ", path, ": ", plan.status().message()));
  }
  ASSIGN_OR_RETURN(PvhEntry entry, LoadPvh(memory_.get(), spec_.memory_bytes, *info, *plan,
                                           AsBytes(image), AsBytes(in.initrd), in.cmdline, in.rsdp));
  // PVH has one entry (32-bit, paging off); the bzImage x86_entry choice
  // does not apply (vmm.proto X86Entry).
  entry_ = {/*long_mode=*/false, entry.eip, entry.ebx, /*rsi=*/0};
  if (spec_.x86_entry == X86KernelEntry::k64Bit) {
    Log(LogLevel::kInfo, "machine", "x86_entry_ignored",
        {{"kernel", path}, {"reason", "a PVH vmlinux has only its 32-bit PVH entry"}});
  }
  Log(LogLevel::kInfo, "machine", "linux_loaded",
      {{"kernel", path},
       {"protocol", "pvh"},
       {"entry", absl::StrFormat("0x%x", entry.eip)},
       {"initrd_address", absl::StrFormat("0x%x", plan->initrd_address)},
       {"initrd_bytes", absl::StrCat(in.initrd.size())},
       {"cmdline", in.cmdline}});
  return absl::OkStatus();
}

absl::StatusOr<X86KvmMachine::KernelBootInputs> X86KvmMachine::PrepareKernelBoot() {
  KernelBootInputs in;
  if (!spec_.initrd_path.empty()) {
    ASSIGN_OR_RETURN(in.initrd, ReadBootFile("initrd", spec_.initrd_path, spec_.memory_bytes));
  }
  in.cmdline = spec_.cmdline.empty() ? kDefaultCmdline : spec_.cmdline;
  ASSIGN_OR_RETURN(in.rsdp, WriteAcpiTables());
  return in;
}

absl::StatusOr<uint64_t> X86KvmMachine::WriteAcpiTables() {
  AcpiConfig acpi;
  acpi.base = x86_layout::kAcpiTablesAddress;
  acpi.num_vcpus = spec_.vcpus;
  acpi.lapic_address = x86_layout::kLapicAddress;
  acpi.ioapic_address = x86_layout::kIoApicAddress;
  acpi.pm1_event_port = x86_layout::kAcpiPm1EventPort;
  acpi.pm1_control_port = x86_layout::kAcpiPm1ControlPort;
  acpi.sci_irq = x86_layout::kAcpiSciIrq;
  acpi.reset_port = x86_layout::kAcpiResetPort;
  acpi.reset_value = AcpiPmDevice::kResetValue;
  acpi.ecam_base = X86PciDevices::kEcamBase;
  acpi.pts_port = x86_layout::kAcpiPtsPort;
  acpi.dsdt_extra = PciHostBridgeAml({X86PciDevices::kWindowBase, X86PciDevices::kWindowSize,
                                      X86PciDevices::kFirstIntxGsi, X86PciDevices::kEcamBase});
  ASSIGN_OR_RETURN(std::vector<uint8_t> tables, BuildAcpiTables(acpi));
  if (tables.size() > x86_layout::kAcpiTablesSize) {
    return absl::InternalError(absl::StrFormat("ACPI tables: %d bytes, room for %d",
                                               tables.size(), x86_layout::kAcpiTablesSize));
  }
  RETURN_IF_ERROR(memory_->Write(GuestAddress(acpi.base), tables));
  return acpi.base;
}

absl::Status X86KvmMachine::SetupDevices(ConsoleOutput console) {
  uart_ = std::make_shared<Uart16550>(std::make_shared<AccelIrqLine>(vm_.get(), kCom1Irq),
                                      std::move(console));
  RETURN_IF_ERROR(pio_bus_.Register(kCom1Port, 8, uart_));
  power_ = std::make_shared<PowerControl>(
      [this](GuestPowerAction a) { OnGuestPowerAction(a, "power control port 0x600"); });
  RETURN_IF_ERROR(pio_bus_.Register(PowerControl::kDefaultPort, 1, power_));
  i8042_ = std::make_unique<I8042>(
      [this](GuestPowerAction a) { OnGuestPowerAction(a, "i8042 reset (0xfe to port 0x64)"); });
  RETURN_IF_ERROR(pio_bus_.Register(I8042::kDataPort, 1, i8042_->data_port()));
  RETURN_IF_ERROR(pio_bus_.Register(I8042::kCommandPort, 1, i8042_->command_port()));
  acpi_pm_ = std::make_shared<AcpiPmDevice>(
      [this](GuestPowerAction a) { OnGuestPowerAction(a, "ACPI PM1a control (S5) / reset register"); },
      std::make_shared<AccelIrqLine>(vm_.get(), x86_layout::kAcpiSciIrq));
  RETURN_IF_ERROR(
      pio_bus_.Register(x86_layout::kAcpiPmBase, AcpiPmDevice::kSize, acpi_pm_));
  pts_ = std::make_shared<AcpiPtsPort>([this](uint8_t state) { OnPrepareToSleep(state); });
  RETURN_IF_ERROR(pio_bus_.Register(x86_layout::kAcpiPtsPort, 1, pts_));
  RETURN_IF_ERROR(mmio_bus_.Register(TestMmioDevice::kDefaultBase, TestMmioDevice::kSize,
                                     std::make_shared<TestMmioDevice>(spec_.vcpus)));
  return SetupPciDevices();
}

absl::Status X86KvmMachine::SetupPciDevices() {
  ASSIGN_OR_RETURN(pci_, X86PciDevices::Create(vm_.get(), memory_.get(), &pio_bus_, &mmio_bus_));
  ASSIGN_OR_RETURN(disks_, OpenDisks(spec_.disks));
  for (const std::shared_ptr<virtio::BlockDevice>& disk : disks_) {
    virtio::BlockDevice* d = disk.get();
    ASSIGN_OR_RETURN(int slot, pci_->AttachVirtio(disk, [d](uint16_t q) { return d->kick_fd(q); }));
    (void)slot;
  }
  // NICs, then vsock (net_devices.h).
  ASSIGN_OR_RETURN(net_, NetDevices::Open(spec_));
  for (const NetDevices::Attachable& a : net_->devices()) {
    RETURN_IF_ERROR(pci_->AttachVirtio(a.device, a.kick_fd).status());
  }
  return absl::OkStatus();
}

absl::Status X86KvmMachine::SetNicRateLimit(uint32_t nic, const RateLimitConfig& rx,
                                            const RateLimitConfig& tx) {
  return net_->SetNicRateLimit(nic, rx, tx);
}

absl::Status X86KvmMachine::SetVsockCapture(std::shared_ptr<virtio::PcapWriter> writer) {
  return net_->SetVsockCapture(std::move(writer));
}

NetDeviceCounters X86KvmMachine::NetCounters() const { return net_->Counters(); }

MachineCounters X86KvmMachine::Counters() const {
  MachineCounters c;
  for (const auto& disk : disks_) c.disks.push_back(ToDiskCounterValues(disk->counters()));
  return c;
}

void X86KvmMachine::OnGuestPowerAction(GuestPowerAction action, absl::string_view source) {
  MachineExit exit;
  if (action == GuestPowerAction::kPowerOff) {
    exit.kind = MachineExit::Kind::kPowerOff;
    exit.message = absl::StrCat("guest powered off via ", source);
  } else {
    exit.kind = MachineExit::Kind::kReboot;
    exit.message = absl::StrCat("guest requested reboot via ", source);
  }
  control_->RequestExit(std::move(exit));
}

void X86KvmMachine::OnPrepareToSleep(uint8_t state) {
  if (state != AcpiPtsPort::kS5) return;
  {
    absl::MutexLock lock(&s5_mu_);
    if (s5_prepared_at_.has_value()) return;
    s5_prepared_at_ = absl::Now();
  }
  s5_prepared_.store(true);
  Log(LogLevel::kInfo, "machine", "guest_prepares_s5",
      {{"deadline", absl::FormatDuration(options_.s5_deadline)}});
}

void X86KvmMachine::S5Watchdog() {
  absl::MutexLock lock(&s5_mu_);
  s5_mu_.Await(absl::Condition(
      +[](X86KvmMachine* m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(m->s5_mu_) {
        return m->exited_ || m->s5_prepared_at_.has_value();
      },
      this));
  if (exited_) return;
  if (s5_mu_.AwaitWithDeadline(absl::Condition(&exited_),
                               *s5_prepared_at_ + options_.s5_deadline)) {
    return;
  }
  // A guest that ran \_PTS(5) has shut its devices down and will not come
  // back; seen in nested-KVM labs: Linux stuck in stop_other_cpus() waiting
  // for a CPU that never answers, after _PTS and before SLP_EN.
  control_->RequestExit(
      {MachineExit::Kind::kPowerOff,
       absl::StrCat("guest powered off: it ran \\_PTS(5) but neither wrote S5 to PM1a_CNT nor "
                    "reset within ",
                    absl::FormatDuration(options_.s5_deadline),
                    " (stuck on its way down); ended as powered off")});
}

X86KvmMachine::~X86KvmMachine() {
  if (control_ == nullptr) return;  // Build() failed early: no threads.
  Stop();
  WaitForExit();
}

absl::Status X86KvmMachine::Start() {
  absl::MutexLock lock(&threads_mu_);
  if (started_) return absl::FailedPreconditionError("Start: the machine was already started");
  if (control_->exit_reason().has_value()) {
    return absl::FailedPreconditionError("Start: the machine was stopped before it started");
  }
  started_ = true;
  for (auto& vcpu : vcpus_) {
    KvmVcpu* v = vcpu.get();
    threads_.emplace_back([this, v] { VcpuThread(v); });
  }
  s5_watchdog_ = std::thread([this] { S5Watchdog(); });
  return absl::OkStatus();
}

absl::Status X86KvmMachine::Pause() {
  {
    absl::MutexLock lock(&threads_mu_);
    if (!started_) return absl::FailedPreconditionError("pause: the machine was not started");
  }
  return control_->Pause();
}

absl::Status X86KvmMachine::Resume() {
  {
    absl::MutexLock lock(&threads_mu_);
    if (!started_) return absl::FailedPreconditionError("resume: the machine was not started");
  }
  return control_->Resume();
}
void X86KvmMachine::RequestPowerOff() {
  // Payloads poll port 0x600; a kernel-booted guest gets what a PC gives
  // it, an ACPI power button press (the SCI), and decides itself.
  power_->RequestPowerOff();
  if (spec_.payload_path.empty()) acpi_pm_->PressPowerButton();
}

void X86KvmMachine::Stop() {
  control_->RequestExit({MachineExit::Kind::kStopped, "stopped by the host"});
}

MachineExit X86KvmMachine::WaitForExit() {
  {
    absl::MutexLock lock(&threads_mu_);
    if (!started_) {
      std::optional<MachineExit> exit = control_->exit_reason();
      if (exit.has_value()) return *exit;
      return {MachineExit::Kind::kStopped, "the machine was never started"};
    }
  }
  MachineExit exit = control_->WaitForExitReason();
  {
    absl::MutexLock lock(&s5_mu_);
    exited_ = true;
  }
  absl::MutexLock lock(&threads_mu_);
  if (!joined_) {
    // The API shows the VM running until the vCPU threads are joined: a
    // vCPU that does not leave KVM_RUN must show in the log.
    int rekicks = 0;
    if (!control_->WaitForThreadsExited(threads_.size(), absl::Seconds(5), absl::Seconds(1),
                                        &rekicks)) {
      Log(LogLevel::kWarning, "machine", "vcpus_slow_to_stop",
          {{"after", "5s"}, {"rekicks", absl::StrCat(rekicks)}});
      control_->WaitForThreadsExited(threads_.size(), absl::InfiniteDuration(), absl::Seconds(1),
                                     &rekicks);
    }
    if (rekicks > 0) {
      Log(LogLevel::kWarning, "machine", "vcpus_stopped_after_rekicks",
          {{"rekicks", absl::StrCat(rekicks)}});
    }
    for (std::thread& t : threads_) t.join();
    s5_watchdog_.join();
    joined_ = true;
    // A crash report names the faulting vCPU; where the others were (an
    // IPI handler, idle, spinning on a lock) is often the rest of the story.
    if (exit.kind == MachineExit::Kind::kCrash) {
      for (auto& vcpu : vcpus_) {
        Log(LogLevel::kError, "machine", "vcpu_state_at_crash", {{"state", vcpu->DescribeState()}});
      }
    }
  }
  return exit;
}

void X86KvmMachine::SendConsoleInput(absl::string_view bytes) { uart_->ReceiveInput(bytes); }

void X86KvmMachine::VcpuThread(KvmVcpu* vcpu) {
  while (control_->WaitUntilRunnable()) {
    absl::StatusOr<VcpuExit> exit = vcpu->Run();
    if (!exit.ok()) {
      Crash(vcpu, exit.status().message());
      break;
    }
    if (!HandleExit(vcpu, *exit)) break;
  }
  control_->ThreadExited();
}

bool X86KvmMachine::HandleExit(KvmVcpu* vcpu, const VcpuExit& exit) {
  switch (exit.kind) {
    case VcpuExit::Kind::kIoIn:
    case VcpuExit::Kind::kIoOut:
    case VcpuExit::Kind::kMmioRead:
    case VcpuExit::Kind::kMmioWrite:
      DispatchIoExit(exit, &pio_bus_, &mmio_bus_);
      return true;
    case VcpuExit::Kind::kInterrupted:
    case VcpuExit::Kind::kHalt:
      // Kicks are handled by WaitUntilRunnable; HLT only exits without an
      // in-kernel irqchip, and then just retrying is a (busy) idle.
      return true;
    case VcpuExit::Kind::kShutdown:
      if (s5_prepared_.load()) {
        // After \_PTS(5) the guest is going down (acpi_pts_port.h): a
        // triple fault on the way (nested labs) ends it powered off.
        OnGuestPowerAction(GuestPowerAction::kPowerOff,
                           absl::StrCat("\\_PTS(5), then a triple fault (KVM_EXIT_SHUTDOWN) on vcpu ",
                                        vcpu->id(), " before the S5 write"));
        return false;
      }
      // On AMD, KVM reinitializes the VMCB on shutdown, so the registers in
      // the message show the reset state rather than the faulting RIP.
      Crash(vcpu, "triple fault (KVM_EXIT_SHUTDOWN)");
      return false;
    case VcpuExit::Kind::kSystemOff:
      OnGuestPowerAction(GuestPowerAction::kPowerOff, exit.detail);
      return false;
    case VcpuExit::Kind::kSystemReset:
      OnGuestPowerAction(GuestPowerAction::kReboot, exit.detail);
      return false;
    case VcpuExit::Kind::kInternalError:
    case VcpuExit::Kind::kUnknown:
      Crash(vcpu, exit.detail);
      return false;
  }
  Crash(vcpu, "unhandled vCPU exit");
  return false;
}

void X86KvmMachine::Crash(KvmVcpu* vcpu, absl::string_view reason) {
  std::string message = absl::StrCat(reason, ": ", vcpu->DescribeState());
  Log(LogLevel::kError, "machine", "guest_crashed", {{"reason", message}});
  control_->RequestExit({MachineExit::Kind::kCrash, std::move(message)});
}

}  // namespace vmm
