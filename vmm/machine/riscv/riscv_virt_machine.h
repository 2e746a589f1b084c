#ifndef VMM_MACHINE_RISCV_RISCV_VIRT_MACHINE_H_
#define VMM_MACHINE_RISCV_RISCV_VIRT_MACHINE_H_

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "accel/tcg/tcg_memory.h"
#include "accel/tcg/tcg_vcpu.h"
#include "devices/bus/bus.h"
#include "devices/legacy/uart16550.h"
#include "devices/riscv/clint.h"
#include "devices/riscv/plic.h"
#include "devices/riscv/sifive_test.h"
#include "devices/virtio/block/block_device.h"
#include "vmm/machine/machine.h"
#include "vmm/machine/net_devices.h"
#include "vmm/machine/run_control.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {

// QEMU's riscv64 `virt` machine on our TCG (one host thread per hart), at
// the addresses of vmm/fdt/riscv_virt_fdt.h: RAM at 0x80000000, CLINT
// 0x2000000, PLIC 0xc000000, 16550 UART 0x10000000 (PLIC source 10),
// sifive,test0 0x100000 (guest poweroff/reboot end the machine), virtio-mmio
// slot i at 0x10001000 + 0x1000*i (PLIC source 1+i) for spec.disks, then
// spec.nics (virtio-net on the worker's taps), then vsock.
//
// Boot:
//  - payload_path: an RV64 ELF run in M-mode from its entry on every hart,
//    a0 = hartid, a1 = FDT address.
//  - kernel_path (+ initrd_path, cmdline): firmware (spec.firmware_path, or
//    Debian's OpenSBI fw_dynamic.bin) at 0x80000000, the kernel Image at
//    0x80200000; every hart starts in the firmware with a0 = hartid,
//    a1 = FDT, a2 = &fw_dynamic_info (next stage: the kernel, in S-mode).
class RiscvVirtMachine : public Machine {
 public:
  static constexpr uint32_t kMaxVcpus = 32;
  static constexpr uint64_t kMinMemoryBytes = 4ull << 20;         // Payload boot.
  static constexpr uint64_t kMinKernelMemoryBytes = 32ull << 20;  // Kernel boot.
  static constexpr uint64_t kMaxMemoryBytes = 64ull << 30;
  static constexpr const char* kDefaultCmdline = "console=ttyS0 earlycon=sbi";

  // Checks `spec` without opening files. Errors name the field.
  static absl::Status ValidateSpec(const MachineSpec& spec);

  static absl::StatusOr<std::unique_ptr<RiscvVirtMachine>> Create(
      const MachineSpec& spec, ConsoleOutput console,
      TcgEngine::BackendKind backend = TcgEngine::BackendKind::kNative);
  ~RiscvVirtMachine() override;

  AccelKind accel() const override { return AccelKind::kTcg; }
  absl::Status Start() override;
  absl::Status Pause() override;
  absl::Status Resume() override;
  void RequestPowerOff() override;
  void Stop() override;
  MachineExit WaitForExit() override;
  void SendConsoleInput(absl::string_view bytes) override;
  absl::Status SetNicRateLimit(uint32_t nic, const RateLimitConfig& rx,
                               const RateLimitConfig& tx) override;
  absl::Status SetVsockCapture(std::shared_ptr<virtio::PcapWriter> writer) override;
  NetDeviceCounters NetCounters() const override;
  MachineCounters Counters() const override;

  // Guest instructions retired so far, over all harts (benchmarks, tests).
  uint64_t InstructionsRetired();
  // The CLINT's mtime (guest time, 10 MHz; frozen while paused).
  uint64_t GuestTime() { return clint_->Mtime(); }
  // Every hart's registers summary (after exit; racy while running).
  std::string DescribeHarts();

 private:
  explicit RiscvVirtMachine(const MachineSpec& spec) : spec_(spec) {}
  absl::Status Build(ConsoleOutput console, TcgEngine::BackendKind backend);
  absl::Status SetupDevices(ConsoleOutput console);
  absl::Status LoadBoot();
  void VcpuThread(TcgVcpu* vcpu);
  void Crash(TcgVcpu* vcpu, absl::string_view reason);

  const MachineSpec spec_;
  // Declaration order is teardown order reversed: devices (and their I/O
  // threads, which raise interrupts into harts) go before the harts, guest
  // memory last.
  std::unique_ptr<GuestMemory> memory_;
  std::unique_ptr<TcgEngine> engine_;
  std::unique_ptr<TcgGuestMemory> tcg_memory_;
  std::vector<std::unique_ptr<TcgVcpu>> vcpus_;
  std::unique_ptr<RunControl> control_;
  Bus mmio_bus_{"mmio"};
  std::shared_ptr<Clint> clint_;
  std::shared_ptr<Plic> plic_;
  std::shared_ptr<Uart16550> uart_;
  // spec.disks in order (also held by their transports), for Counters().
  std::vector<std::shared_ptr<virtio::BlockDevice>> disks_;
  std::vector<std::shared_ptr<BusDevice>> virtio_;  // Transports, slot order.
  std::unique_ptr<NetDevices> net_;  // NICs and vsock (controls, counters).
  uint64_t entry_ = 0;     // Where every hart starts (M-mode).
  uint64_t fdt_addr_ = 0;  // a1
  uint64_t fw_info_ = 0;   // a2 (kernel boot)

  absl::Mutex threads_mu_;
  bool started_ ABSL_GUARDED_BY(threads_mu_) = false;
  bool joined_ ABSL_GUARDED_BY(threads_mu_) = false;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(threads_mu_);
};

}  // namespace vmm

#endif  // VMM_MACHINE_RISCV_RISCV_VIRT_MACHINE_H_
