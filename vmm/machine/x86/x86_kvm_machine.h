#ifndef VMM_MACHINE_X86_X86_KVM_MACHINE_H_
#define VMM_MACHINE_X86_X86_KVM_MACHINE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "accel/kvm/kvm_vcpu.h"
#include "accel/kvm/kvm_vm.h"
#include "devices/bus/bus.h"
#include "devices/acpi/acpi_pm.h"
#include "devices/legacy/i8042.h"
#include "devices/legacy/power_control.h"
#include "devices/legacy/uart16550.h"
#include "devices/virtio/block/block_device.h"
#include "vmm/machine/machine.h"
#include "vmm/machine/net_devices.h"
#include "vmm/machine/run_control.h"
#include "vmm/machine/x86/acpi_pts_port.h"
#include "vmm/machine/x86/pci_devices.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {

struct X86MachineOptions {
  // How long after the guest's \_PTS(5) (acpi_pts_port.h) the machine
  // waits for the S5 write before it ends the VM as powered off anyway.
  absl::Duration s5_deadline = absl::Seconds(30);
};

// The x86_64 machine on KVM. Linux boot (kernel_path): see linux_boot.h and
// x86_layout.h; kernel_path may also be an ELF vmlinux, entered through its
// PVH note (pvh_boot.h), told apart by content; RAM up to 3 GiB, the rest
// from 4 GiB; ACPI tables at
// 0xe0000 (MADT for the CPUs; S5, reset and the power button through
// AcpiPmDevice at PIO 0x610, SCI on IRQ 9; \_PTS writes to PIO 0x617);
// vCPU 0 enters the kernel's 64-bit entry point. RequestPowerOff presses
// the ACPI power button.
// Guest poweroff: the S5 write to PM1a_CNT ends the VM kPowerOff. Once the
// guest has run \_PTS(5) it is going down (poweroff, or restart: Linux runs
// \_PTS(5) for both), so a triple fault after it, or neither the S5 write
// nor a reset within options.s5_deadline (a guest stuck while stopping its
// other CPUs), ends it kPowerOff, saying so, instead of CRASHED or a VM
// that never ends. A guest that reboots by triple fault (reboot=t) thus
// ends powered off rather than CRASHED; reboot=k (our default) is a reset.
// Payload boot (see tests/guests/README.md for the payload ABI):
//   RAM          [0, memory_bytes), at most 3 GiB (the 32-bit PCI hole and
//                high RAM come with kernel boot)
//   payload      loaded at 0x10000; vCPU 0 starts in real mode at 1000:0000
//   vCPUs 1..n   wait for INIT/SIPI in the in-kernel LAPIC
//   COM1         16550A at PIO 0x3f8, IRQ 4
//   i8042        PIO 0x60/0x64 (0xFE to 0x64 = reboot)
//   power ctl    PIO 0x600
//   test device  MMIO 0xd0000000, 4 KiB
// Both boots: PCI bus 0 on 0xCF8 with the spec's virtio devices, BARs in
// [0xc0000000, 0xd0000000) (pci_devices.h): disks first, in spec order,
// then NICs, then vsock (net_devices.h).
//   PIC, IOAPIC, LAPICs, PIT: in the kernel
class X86KvmMachine : public Machine {
 public:
  static constexpr uint64_t kPayloadAddress = 0x10000;
  static constexpr uint64_t kMaxMemoryBytes = 3ull << 30;         // Payload boot.
  static constexpr uint64_t kMaxKernelMemoryBytes = 256ull << 30;  // Kernel boot.
  static constexpr uint64_t kMinKernelMemoryBytes = 16ull << 20;
  // Used when the spec has no command line: the UART is the console, and
  // reboot goes through the i8042 (the ACPI reset register works too).
  static constexpr const char* kDefaultCmdline = "console=ttyS0 reboot=k";
  static constexpr uint64_t kMinMemoryBytes = 1ull << 20;
  static constexpr uint32_t kMaxVcpus = 64;
  static constexpr uint16_t kCom1Port = 0x3f8;
  static constexpr uint32_t kCom1Irq = 4;

  // Checks `spec` without touching KVM or files. Errors name the field.
  static absl::Status ValidateSpec(const MachineSpec& spec);

  static absl::StatusOr<std::unique_ptr<X86KvmMachine>> Create(
      const MachineSpec& spec, ConsoleOutput console, X86MachineOptions options = {});
  ~X86KvmMachine() override;

  AccelKind accel() const override { return AccelKind::kKvm; }
  absl::Status Start() override;
  absl::Status Pause() override;
  absl::Status Resume() override;
  void RequestPowerOff() override;
  void Stop() override;
  MachineExit WaitForExit() override;
  void SendConsoleInput(absl::string_view bytes) override;
  MachineCounters Counters() const override;
  absl::Status SetNicRateLimit(uint32_t nic, const RateLimitConfig& rx,
                               const RateLimitConfig& tx) override;
  absl::Status SetVsockCapture(std::shared_ptr<virtio::PcapWriter> writer) override;
  NetDeviceCounters NetCounters() const override;

 private:
  X86KvmMachine(const MachineSpec& spec, X86MachineOptions options)
      : spec_(spec), options_(options) {}
  absl::Status Build(ConsoleOutput console);
  absl::Status LoadPayload();
  absl::Status LoadKernel();
  absl::Status LoadPvhKernel(const std::string& image);  // ELF vmlinux (pvh_boot.h).
  // What both kernel boots (bzImage, PVH) load besides the kernel: the
  // initrd, the command line (kDefaultCmdline when the spec has none), and
  // the ACPI tables, already written.
  struct KernelBootInputs {
    std::string initrd;
    std::string cmdline;
    uint64_t rsdp = 0;
  };
  absl::StatusOr<KernelBootInputs> PrepareKernelBoot();
  // Writes the ACPI tables; returns the RSDP address.
  absl::StatusOr<uint64_t> WriteAcpiTables();
  absl::Status SetupDevices(ConsoleOutput console);
  absl::Status SetupPciDevices();
  void OnGuestPowerAction(GuestPowerAction action, absl::string_view source);
  // \_PTS(state) from the guest (acpi_pts_port.h).
  void OnPrepareToSleep(uint8_t state);
  // Started with the vCPUs: after \_PTS(5), ends the machine at the S5
  // deadline unless it has ended by then.
  void S5Watchdog();
  void VcpuThread(KvmVcpu* vcpu);
  // Returns false when the vCPU loop must end.
  bool HandleExit(KvmVcpu* vcpu, const VcpuExit& exit);
  void Crash(KvmVcpu* vcpu, absl::string_view reason);

  const MachineSpec spec_;
  const X86MachineOptions options_;
  std::unique_ptr<Kvm> kvm_;
  std::unique_ptr<GuestMemory> memory_;
  std::unique_ptr<KvmVm> vm_;
  std::vector<std::unique_ptr<KvmVcpu>> vcpus_;
  std::unique_ptr<RunControl> control_;
  Bus pio_bus_{"pio"};
  Bus mmio_bus_{"mmio"};
  std::shared_ptr<Uart16550> uart_;
  std::shared_ptr<PowerControl> power_;
  std::unique_ptr<I8042> i8042_;
  std::shared_ptr<AcpiPmDevice> acpi_pm_;
  std::shared_ptr<AcpiPtsPort> pts_;
  // Virtio devices over PCI (pci_devices.h); after vm_, so they go first.
  std::vector<std::shared_ptr<virtio::BlockDevice>> disks_;
  std::unique_ptr<NetDevices> net_;  // NICs and vsock.
  std::unique_ptr<X86PciDevices> pci_;
  // Kernel boot: vCPU 0 starts in 32-bit protected mode (bzImage: ESI =
  // boot_params; PVH: EBX = start_info) or, for a bzImage with
  // spec.x86_entry k64Bit, in long mode (RSI = boot_params).
  struct KernelEntry {
    bool long_mode = false;
    uint64_t rip = 0;
    uint64_t rbx = 0;
    uint64_t rsi = 0;
  };
  KernelEntry entry_;

  absl::Mutex threads_mu_;
  bool started_ ABSL_GUARDED_BY(threads_mu_) = false;
  bool joined_ ABSL_GUARDED_BY(threads_mu_) = false;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(threads_mu_);
  std::thread s5_watchdog_ ABSL_GUARDED_BY(threads_mu_);

  // Not threads_mu_: a vCPU thread writes \_PTS while WaitForExit may hold
  // threads_mu_ to join it.
  std::atomic<bool> s5_prepared_{false};
  absl::Mutex s5_mu_;
  std::optional<absl::Time> s5_prepared_at_ ABSL_GUARDED_BY(s5_mu_);
  bool exited_ ABSL_GUARDED_BY(s5_mu_) = false;
};

}  // namespace vmm

#endif  // VMM_MACHINE_X86_X86_KVM_MACHINE_H_
