#include "vmm/machine/riscv/riscv_virt_machine.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "devices/virtio/block/block_device.h"
#include "tcg/riscv64/csr.h"
#include "vmm/base/log.h"
#include "vmm/base/status_macros.h"
#include "vmm/fdt/riscv_virt_fdt.h"
#include "vmm/machine/disks.h"
#include "vmm/machine/riscv/riscv_boot.h"
#include "vmm/machine/riscv/riscv_virtio_slots.h"
#include "vmm/machine/x86/linux_boot.h"

namespace vmm {
namespace {

namespace rv = riscv_virt;
using tcg::riscv64::kMipMeip;
using tcg::riscv64::kMipMsip;
using tcg::riscv64::kMipMtip;
using tcg::riscv64::kMipSeip;

// The ISA Linux is told about: F/D only once the JIT implements them (misa),
// so a kernel built with CONFIG_FPU does not touch FP registers otherwise.
std::string IsaString() {
  const uint64_t misa = tcg::riscv64::kMisa;
  const bool fd = (misa >> ('F' - 'A') & 1) && (misa >> ('D' - 'A') & 1);
  // zihintpause: Linux's cpu_relax() then issues PAUSE, which yields the
  // host thread (harts may outnumber host CPUs).
  return fd ? "rv64imafdc_zicsr_zifencei_zihintpause" : "rv64imac_zicsr_zifencei_zihintpause";
}

}  // namespace

absl::Status RiscvVirtMachine::ValidateSpec(const MachineSpec& spec) {
  if (spec.arch != GuestArch::kRiscv64) {
    return absl::InvalidArgumentError("arch: the riscv64 virt machine runs only riscv64 guests");
  }
  if (spec.accel == AccelKind::kKvm) {
    return absl::InvalidArgumentError(
        "accel=kvm: riscv64 guests cannot use KVM on this x86_64 host; use accel=auto or tcg");
  }
  if (spec.vcpus < 1 || spec.vcpus > kMaxVcpus) {
    return absl::InvalidArgumentError(
        absl::StrFormat("vcpus=%d: must be 1..%d for riscv64", spec.vcpus, kMaxVcpus));
  }
  const bool kernel = spec.payload_path.empty();
  const uint64_t min = kernel ? kMinKernelMemoryBytes : kMinMemoryBytes;
  if (spec.memory_bytes < min || spec.memory_bytes > kMaxMemoryBytes ||
      spec.memory_bytes % 4096 != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "memory_bytes=%d: must be a multiple of 4096 in [%d MiB, %d GiB] for a riscv64 %s",
        spec.memory_bytes, min >> 20, kMaxMemoryBytes >> 30, kernel ? "kernel" : "payload"));
  }
  if (kernel && spec.kernel_path.empty()) {
    return absl::InvalidArgumentError("boot: set payload_path or kernel_path");
  }
  RETURN_IF_ERROR(RiscvVirtioSlots::CheckCount(spec));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RiscvVirtMachine>> RiscvVirtMachine::Create(
    const MachineSpec& spec, ConsoleOutput console, TcgEngine::BackendKind backend) {
  RETURN_IF_ERROR(ValidateSpec(spec));
  std::unique_ptr<RiscvVirtMachine> m(new RiscvVirtMachine(spec));
  RETURN_IF_ERROR(m->Build(std::move(console), backend));
  return m;
}

RiscvVirtMachine::~RiscvVirtMachine() {
  if (control_) control_->RequestExit({MachineExit::Kind::kStopped, "machine destroyed"});
  absl::MutexLock lock(&threads_mu_);
  if (!joined_) {
    for (std::thread& t : threads_) t.join();
    joined_ = true;
  }
}

absl::Status RiscvVirtMachine::Build(ConsoleOutput console, TcgEngine::BackendKind backend) {
  ASSIGN_OR_RETURN(memory_, GuestMemory::Create({{GuestAddress(rv::kDramBase),
                                                  spec_.memory_bytes}}));
  engine_ = TcgEngine::Create(backend);
  tcg_memory_ = std::make_unique<TcgGuestMemory>(memory_.get(), &mmio_bus_);
  // The timer hooks reach the CLINT, created below, before any hart runs.
  TcgVcpu::Platform platform;
  platform.update_timers = [this] { clint_->UpdateTimers(); };
  platform.mtime = [this] { return clint_->Mtime(); };
  platform.timer_deadline = [this](uint32_t hart) {
    const absl::Time now = absl::Now();
    // Runs on `hart`'s own thread, so reading its mie is safe. A timer
    // that cannot wake WFI (MTIE clear: OpenSBI masks it after firing,
    // leaving mtimecmp in the past) must not make the hart spin.
    if (!(vcpus_[hart]->hart().state().mie & kMipMtip)) return now + absl::Seconds(1);
    std::optional<uint64_t> deadline = clint_->NextDeadlineNs(hart);
    // Paused (no deadline) or far away: wake at least every second anyway.
    const uint64_t mono = Clint::MonotonicNs();
    if (!deadline || *deadline <= mono) return deadline ? now : now + absl::Seconds(1);
    return now + std::min(absl::Nanoseconds(*deadline - mono), absl::Seconds(1));
  };
  std::vector<Vcpu*> raw;
  for (uint32_t i = 0; i < spec_.vcpus; ++i) {
    vcpus_.push_back(std::make_unique<TcgVcpu>(i, engine_.get(), tcg_memory_.get(), platform));
    raw.push_back(vcpus_.back().get());
  }
  control_ = std::make_unique<RunControl>(std::move(raw));
  RETURN_IF_ERROR(SetupDevices(std::move(console)));
  return LoadBoot();
}

absl::Status RiscvVirtMachine::SetupDevices(ConsoleOutput console) {
  std::vector<HartInterruptPins> pins;
  for (auto& v : vcpus_) {
    pins.push_back({v->Pin(kMipMsip), v->Pin(kMipMtip), v->Pin(kMipMeip), v->Pin(kMipSeip)});
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Clint> clint, Clint::Create(pins));
  clint_ = std::move(clint);
  ASSIGN_OR_RETURN(plic_, Plic::Create(rv::kPlicNumSources, pins));
  RETURN_IF_ERROR(mmio_bus_.Register(rv::kClintBase, rv::kClintSize, clint_));
  RETURN_IF_ERROR(mmio_bus_.Register(rv::kPlicBase, rv::kPlicSize, plic_));

  ASSIGN_OR_RETURN(std::shared_ptr<InterruptLine> uart_irq, plic_->Input(rv::kUartIrq));
  uart_ = std::make_shared<Uart16550>(uart_irq, std::move(console));
  RETURN_IF_ERROR(mmio_bus_.Register(rv::kUartBase, rv::kUartSize, uart_));

  // sifive,test0: poweroff/reboot from the guest (Linux syscon, OpenSBI SRST).
  auto finisher = std::make_shared<SifiveTest>([this](SifiveTest::Event event, uint16_t code) {
    switch (event) {
      case SifiveTest::Event::kPass:
        control_->RequestExit({MachineExit::Kind::kPowerOff, "guest powered off"});
        break;
      case SifiveTest::Event::kFail:
        control_->RequestExit({MachineExit::Kind::kPowerOff,
                               absl::StrCat("guest powered off with failure code ", code)});
        break;
      case SifiveTest::Event::kReset:
        control_->RequestExit({MachineExit::Kind::kReboot, "guest rebooted"});
        break;
    }
  });
  RETURN_IF_ERROR(mmio_bus_.Register(rv::kTestBase, rv::kTestSize, finisher));

  // virtio-mmio slots in order: disks, NICs, vsock (riscv_virtio_slots.h).
  RiscvVirtioSlots slots(memory_.get(), plic_.get(), &mmio_bus_);
  ASSIGN_OR_RETURN(disks_, OpenDisks(spec_.disks));
  for (size_t i = 0; i < disks_.size(); ++i) {
    RETURN_IF_ERROR(slots.Attach(disks_[i], absl::StrCat("disks[", i, "]")));
  }
  ASSIGN_OR_RETURN(net_, NetDevices::Open(spec_));
  const std::vector<NetDevices::Attachable> net = net_->devices();
  for (size_t i = 0; i < net.size(); ++i) {
    RETURN_IF_ERROR(slots.Attach(
        net[i].device, i < spec_.nics.size() ? absl::StrCat("nics[", i, "]") : "vsock"));
  }
  ASSIGN_OR_RETURN(virtio_, slots.Finish());
  return absl::OkStatus();
}

absl::Status RiscvVirtMachine::LoadBoot() {
  const uint64_t ram_size = spec_.memory_bytes;
  RiscvVirtFdtConfig fdt_config;
  fdt_config.harts = static_cast<int>(spec_.vcpus);
  fdt_config.memory_bytes = ram_size;
  fdt_config.mmu_type = "riscv,sv39";
  fdt_config.isa = IsaString();
  fdt_config.virtio_slots = rv::kVirtioCount;

  if (!spec_.payload_path.empty()) {
    ASSIGN_OR_RETURN(std::string image, ReadBootFile("payload", spec_.payload_path, ram_size));
    ASSIGN_OR_RETURN(entry_, riscv_boot::LoadElf(
                                 absl::MakeConstSpan(
                                     reinterpret_cast<const uint8_t*>(image.data()), image.size()),
                                 memory_.get()));
    fdt_config.bootargs = spec_.cmdline;
    ASSIGN_OR_RETURN(std::vector<uint8_t> fdt, BuildRiscvVirtFdt(fdt_config));
    fdt_addr_ = (rv::kDramBase + ram_size - fdt.size()) & ~uint64_t{0xfff};
    return memory_->Write(GuestAddress(fdt_addr_), fdt);
  }

  const std::string firmware_path =
      spec_.firmware_path.empty() ? riscv_boot::kDefaultFirmware : spec_.firmware_path;
  absl::StatusOr<std::string> firmware = ReadBootFile("firmware", firmware_path, ram_size);
  if (!firmware.ok()) {
    return absl::Status(firmware.status().code(),
                        absl::StrCat(firmware.status().message(),
                                     spec_.firmware_path.empty()
                                         ? " (install Debian's opensbi or set firmware_path)"
                                         : ""));
  }
  ASSIGN_OR_RETURN(std::string kernel, ReadBootFile("kernel", spec_.kernel_path, ram_size));
  std::string initrd;
  if (!spec_.initrd_path.empty()) {
    ASSIGN_OR_RETURN(initrd, ReadBootFile("initrd", spec_.initrd_path, ram_size));
  }
  fdt_config.bootargs = spec_.cmdline.empty() ? kDefaultCmdline : spec_.cmdline;
  // The FDT's size does not depend on the initrd addresses' values.
  if (!initrd.empty()) fdt_config.initrd_start = fdt_config.initrd_end = 0;
  ASSIGN_OR_RETURN(std::vector<uint8_t> probe, BuildRiscvVirtFdt(fdt_config));
  ASSIGN_OR_RETURN(riscv_boot::Placement p,
                   riscv_boot::PlanKernelBoot(rv::kDramBase, ram_size, firmware->size(),
                                              kernel.size(), initrd.size(), probe.size()));
  if (!initrd.empty()) {
    fdt_config.initrd_start = p.initrd;
    fdt_config.initrd_end = p.initrd_end;
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> fdt, BuildRiscvVirtFdt(fdt_config));
  auto bytes = [](const std::string& s) {
    return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  RETURN_IF_ERROR(memory_->Write(GuestAddress(p.firmware), bytes(*firmware)));
  RETURN_IF_ERROR(memory_->Write(GuestAddress(p.kernel), bytes(kernel)));
  if (!initrd.empty()) RETURN_IF_ERROR(memory_->Write(GuestAddress(p.initrd), bytes(initrd)));
  RETURN_IF_ERROR(memory_->Write(GuestAddress(p.fdt), fdt));
  riscv_boot::FwDynamicInfo info;
  info.next_addr = p.kernel;
  RETURN_IF_ERROR(memory_->WriteObj(GuestAddress(p.fw_info), info));
  entry_ = p.firmware;
  fdt_addr_ = p.fdt;
  fw_info_ = p.fw_info;
  return absl::OkStatus();
}

absl::Status RiscvVirtMachine::Start() {
  absl::MutexLock lock(&threads_mu_);
  if (started_) return absl::FailedPreconditionError("start: the machine was already started");
  started_ = true;
  for (auto& v : vcpus_) {
    tcg::riscv64::CpuState& s = v->hart().state();
    s.pc = entry_;
    s.priv = tcg::riscv64::kPrivM;
    s.x[10] = v->id();  // a0: hartid
    s.x[11] = fdt_addr_;
    s.x[12] = fw_info_;
  }
  for (auto& v : vcpus_) {
    TcgVcpu* vcpu = v.get();
    threads_.emplace_back([this, vcpu] { VcpuThread(vcpu); });
  }
  return absl::OkStatus();
}

absl::Status RiscvVirtMachine::Pause() {
  {
    absl::MutexLock lock(&threads_mu_);
    if (!started_) return absl::FailedPreconditionError("pause: the machine was not started");
  }
  RETURN_IF_ERROR(control_->Pause());
  clint_->Pause();  // guest time stops with the harts
  return absl::OkStatus();
}

absl::Status RiscvVirtMachine::Resume() {
  {
    absl::MutexLock lock(&threads_mu_);
    if (!started_) return absl::FailedPreconditionError("resume: the machine was not started");
  }
  clint_->Resume();
  return control_->Resume();
}

void RiscvVirtMachine::RequestPowerOff() {
  // The virt machine has no power button Linux listens to (QEMU's has
  // none either); the caller's deadline then stops the machine.
  Log(LogLevel::kInfo, "riscv-virt", "poweroff_request_ignored",
      {{"reason", "no guest-visible power button on the virt machine"}});
}

void RiscvVirtMachine::Stop() {
  control_->RequestExit({MachineExit::Kind::kStopped, "stopped by the host"});
}

MachineExit RiscvVirtMachine::WaitForExit() {
  {
    absl::MutexLock lock(&threads_mu_);
    if (!started_) {
      std::optional<MachineExit> exit = control_->exit_reason();
      if (exit.has_value()) return *exit;
      return {MachineExit::Kind::kStopped, "the machine was never started"};
    }
  }
  MachineExit exit = control_->WaitForExitReason();
  absl::MutexLock lock(&threads_mu_);
  if (!joined_) {
    for (std::thread& t : threads_) t.join();
    joined_ = true;
  }
  return exit;
}

void RiscvVirtMachine::SendConsoleInput(absl::string_view bytes) { uart_->ReceiveInput(bytes); }

absl::Status RiscvVirtMachine::SetNicRateLimit(uint32_t nic, const RateLimitConfig& rx,
                                               const RateLimitConfig& tx) {
  return net_->SetNicRateLimit(nic, rx, tx);
}

absl::Status RiscvVirtMachine::SetVsockCapture(std::shared_ptr<virtio::PcapWriter> writer) {
  return net_->SetVsockCapture(std::move(writer));
}

NetDeviceCounters RiscvVirtMachine::NetCounters() const { return net_->Counters(); }

MachineCounters RiscvVirtMachine::Counters() const {
  MachineCounters c;
  for (const auto& disk : disks_) c.disks.push_back(ToDiskCounterValues(disk->counters()));
  return c;
}

uint64_t RiscvVirtMachine::InstructionsRetired() {
  // Read racily from the harts' threads: a statistic, not synchronisation.
  uint64_t n = 0;
  for (auto& v : vcpus_) n += v->hart().insns_retired();
  return n;
}

std::string RiscvVirtMachine::DescribeHarts() {
  std::string out;
  for (auto& v : vcpus_) absl::StrAppend(&out, v->DescribeState(), "\n");
  const tcg::TbCache::Stats st = engine_->cache.stats();
  absl::StrAppend(&out, "tb cache: blocks=", engine_->cache.size(), " inserts=", st.inserts,
                  " hits=", st.lookups_hit, " misses=", st.lookups_miss,
                  " page_invalidations=", st.page_invalidations, " flushes=", st.flushes,
                  " discarded_races=", st.discarded_races, "\n");
  return out;
}

void RiscvVirtMachine::VcpuThread(TcgVcpu* vcpu) {
  while (control_->WaitUntilRunnable()) {
    absl::StatusOr<VcpuExit> exit = vcpu->Run();
    if (!exit.ok()) {
      Crash(vcpu, exit.status().message());
      break;
    }
    if (exit->kind == VcpuExit::Kind::kInterrupted) continue;
    Crash(vcpu, exit->detail.empty() ? VcpuExitKindName(exit->kind) : exit->detail);
    break;
  }
  control_->ThreadExited();
}

void RiscvVirtMachine::Crash(TcgVcpu* vcpu, absl::string_view reason) {
  const std::string state = vcpu->DescribeState();
  Log(LogLevel::kError, "riscv-virt", "vcpu_crash",
      {{"reason", std::string(reason)}, {"state", state}});
  control_->RequestExit({MachineExit::Kind::kCrash, absl::StrCat(reason, " (", state, ")")});
}

}  // namespace vmm
