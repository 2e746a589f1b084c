#ifndef VMM_MACHINE_MACHINE_H_
#define VMM_MACHINE_MACHINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vmm {

namespace virtio {
class PcapWriter;  // devices/virtio/vsock/pcap_writer.h
}  // namespace virtio

// The seam between the worker process and a machine. The worker turns the
// API's VmSpec into a MachineSpec (no protobuf below this line), builds a
// machine, and drives it. One Machine object is one boot: a guest reboot
// ends it with kReboot and the worker builds a fresh one.

enum class GuestArch { kX86_64, kRiscv64 };
enum class AccelKind { kAuto, kKvm, kTcg };
// How an x86_64 bzImage is entered (boot.rst): at startup_32 in flat 32-bit
// mode, paging off (the default), or at startup_64 in long mode on the
// loader's identity map. A PVH vmlinux ignores it; riscv64 has only k32Bit
// (the default, meaning "not asked").
enum class X86KernelEntry { k32Bit, k64Bit };

// Devices, as the API's VmSpec describes them (defaults already applied by
// the worker). Machines attach them over virtio-pci (x86_64) or virtio-mmio
// (riscv64); the device logic is the same.
enum class DiskCache { kWriteback, kNone, kUnsafe };
struct DiskConfig {
  std::string path;  // Raw image.
  bool read_only = false;
  std::string serial;  // VIRTIO_BLK_T_GET_ID, at most 20 bytes.
  DiskCache cache = DiskCache::kWriteback;
  uint32_t num_queues = 1;
};

struct RateLimitConfig {
  uint64_t bytes_per_second = 0;  // 0: unlimited.
  uint64_t bytes_burst = 0;
  uint64_t packets_per_second = 0;  // 0: unlimited.
  uint64_t packets_burst = 0;
};

struct NicConfig {
  std::string tap;          // Empty: a tap with a generated name is created.
  std::string mac;          // "52:54:00:xx:xx:xx"; empty: derived from vm_id.
  uint32_t num_queue_pairs = 1;
  RateLimitConfig rx_rate_limit;
  RateLimitConfig tx_rate_limit;
  uint32_t mtu = 1500;
  // The tap's queue fds (one per queue pair), opened by the worker for its
  // whole life so that the tap outlives reboots; borrowed: the machine dups
  // them. Empty: the machine opens the tap itself from `tap`.
  std::vector<int> tap_fds;
};

struct VsockConfig {
  uint32_t guest_cid = 0;  // >= 3.
  std::string uds_path;    // Hybrid-vsock host socket.
};

struct MachineSpec {
  GuestArch arch = GuestArch::kX86_64;
  AccelKind accel = AccelKind::kAuto;
  uint32_t vcpus = 1;
  uint64_t memory_bytes = 0;

  // Exactly one of these boot forms is used: a payload when payload_path is
  // set, else a kernel.
  std::string payload_path;
  std::string kernel_path;
  std::string initrd_path;
  std::string cmdline;
  std::string firmware_path;
  X86KernelEntry x86_entry = X86KernelEntry::k32Bit;

  std::string vm_id;  // Stable across boots; seeds generated MACs.
  std::vector<DiskConfig> disks;
  std::vector<NicConfig> nics;
  bool has_vsock = false;
  VsockConfig vsock;
};

// Counters of one NIC (rx = host -> guest, tx = guest -> host) and of the
// vsock device, for GetVm.
struct NicCounterValues {
  std::string tap;
  uint64_t rx_packets = 0, rx_bytes = 0, rx_dropped = 0;
  uint64_t tx_packets = 0, tx_bytes = 0, tx_dropped = 0;
  uint64_t rate_limited = 0;  // Times a queue paused for the limiter.
};
struct VsockCounterValues {
  uint64_t connections = 0;  // Open now.
  uint64_t rx_bytes = 0;     // Payload to the guest.
  uint64_t tx_bytes = 0;     // Payload from the guest.
};
struct NetDeviceCounters {
  std::vector<NicCounterValues> nics;
  bool has_vsock = false;
  VsockCounterValues vsock;
};

// Device counters for GetVm, each list in spec order. Plain values: the
// worker copies them into the control protocol. Machines report disks in
// Counters() and NICs/vsock in NetCounters(); the worker's VmRunner merges
// both into one MachineCounters (one path to GetVm for every device).
struct DiskCounterValues {
  uint64_t read_requests = 0;
  uint64_t write_requests = 0;
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  uint64_t flushes = 0;
  uint64_t errors = 0;
};
struct MachineCounters {
  std::vector<DiskCounterValues> disks;
  std::vector<NicCounterValues> nics;
  bool has_vsock = false;
  VsockCounterValues vsock;
};

// Why a machine stopped running.
struct MachineExit {
  enum class Kind {
    kPowerOff,  // The guest asked to power off.
    kReboot,    // The guest asked to reboot.
    kCrash,     // Triple fault, emulation failure, unhandled exit...
    kStopped,   // The host called Stop().
  };
  Kind kind = Kind::kStopped;
  std::string message;  // Detail for logs and the API's status message.
};

// Receives guest serial output. Called from vCPU threads; must not block
// for long.
using ConsoleOutput = std::function<void(absl::string_view bytes)>;

class Machine {
 public:
  virtual ~Machine() = default;

  // The accelerator chosen (never kAuto once built).
  virtual AccelKind accel() const = 0;

  // Starts the vCPU threads. Called once.
  virtual absl::Status Start() = 0;

  // Stops every vCPU and returns once none is executing guest code.
  virtual absl::Status Pause() = 0;
  virtual absl::Status Resume() = 0;

  // Asks the guest to power off (ACPI power button, SBI, or the payload's
  // power device). The guest may ignore it; the caller enforces a deadline.
  virtual void RequestPowerOff() = 0;

  // Ends the machine from the host side: vCPU threads are stopped and
  // WaitForExit() returns kStopped. Safe to call from any thread, any time.
  virtual void Stop() = 0;

  // Blocks until the machine has stopped running for good and all vCPU
  // threads have been joined.
  virtual MachineExit WaitForExit() = 0;

  // Bytes typed at the serial console.
  virtual void SendConsoleInput(absl::string_view bytes) = 0;

  // Network device controls and counters (vsock and NICs; a second path
  // beside Counters(), for the live controls). Machines without the devices
  // keep these defaults.
  virtual absl::Status SetNicRateLimit(uint32_t nic, const RateLimitConfig& rx,
                                       const RateLimitConfig& tx);
  // Every vsock packet from now on goes to `writer` (nullptr: none). Shared:
  // the worker keeps one writer across the machines of several boots.
  virtual absl::Status SetVsockCapture(std::shared_ptr<virtio::PcapWriter> writer);
  virtual NetDeviceCounters NetCounters() const;

  // A snapshot of the device counters. Thread-safe, any time after build.
  virtual MachineCounters Counters() const { return {}; }
};

inline absl::Status Machine::SetNicRateLimit(uint32_t, const RateLimitConfig&,
                                             const RateLimitConfig&) {
  return absl::UnimplementedError("this machine has no NICs");
}
inline absl::Status Machine::SetVsockCapture(std::shared_ptr<virtio::PcapWriter>) {
  return absl::UnimplementedError("this machine has no vsock device");
}
inline NetDeviceCounters Machine::NetCounters() const { return {}; }

// Builds the machine for `spec` (memory, accelerator, devices, loaded boot
// image). Errors name what to fix ("payload /x: No such file or directory").
absl::StatusOr<std::unique_ptr<Machine>> BuildMachine(const MachineSpec& spec,
                                                      ConsoleOutput console);

// Checks `spec` the way BuildMachine() would, without opening /dev/kvm or
// any file: arch/accel availability, vcpus, memory size, boot source. For
// early validation (e.g. at VM definition time). Provided by :build_machine.
absl::Status ValidateMachineSpec(const MachineSpec& spec);

}  // namespace vmm

#endif  // VMM_MACHINE_MACHINE_H_
