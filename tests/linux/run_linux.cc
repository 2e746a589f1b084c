// Boots a Linux kernel on the x86 KVM machine through BuildMachine(), copies
// the serial console to stdout and reports how the machine ended; for the
// Linux-guest lab tests and boot benchmarks.
//   run_linux <kernel> <initrd|-> [vcpus] [memory_mib] [timeout_s] [cmdline]
// Exit status: 0 power off, 3 reboot, 1 crash, 4 timeout (stopped), 2 build
// error. With timeout_s > 0 the machine is stopped after that many seconds.
// RUN_LINUX_DISKS="path[:ro],path..." attaches virtio-blk disks.
// RUN_LINUX_X86_ENTRY=64 enters a bzImage at startup_64 (default: 32).
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "vmm/machine/machine.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: %s <kernel> <initrd|-> [vcpus] [memory_mib] [timeout_s] [cmdline]\n",
                 argv[0]);
    return 2;
  }
  vmm::MachineSpec spec;
  spec.kernel_path = argv[1];
  if (std::string(argv[2]) != "-") spec.initrd_path = argv[2];
  spec.vcpus = argc > 3 ? static_cast<uint32_t>(std::atoi(argv[3])) : 1;
  spec.memory_bytes = (argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 256) << 20;
  const int timeout_s = argc > 5 ? std::atoi(argv[5]) : 0;
  if (argc > 6) spec.cmdline = argv[6];
  if (const char* disks = std::getenv("RUN_LINUX_DISKS"); disks != nullptr && *disks != 0) {
    for (absl::string_view item : absl::StrSplit(disks, ',')) {
      vmm::DiskConfig d;
      d.read_only = absl::ConsumeSuffix(&item, ":ro");
      d.path = std::string(item);
      spec.disks.push_back(d);
    }
  }
  if (const char* e = std::getenv("RUN_LINUX_X86_ENTRY"); e != nullptr && *e != 0) {
    if (std::string(e) == "64") {
      spec.x86_entry = vmm::X86KernelEntry::k64Bit;
    } else if (std::string(e) != "32") {
      std::fprintf(stderr, "RUN_LINUX_X86_ENTRY=%s: must be 32 or 64\n", e);
      return 2;
    }
  }
  const absl::Time start = absl::Now();
  auto machine = vmm::BuildMachine(spec, [](absl::string_view bytes) {
    ssize_t ignored = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
    (void)ignored;
  });
  if (!machine.ok()) {
    std::fprintf(stderr, "build error: %s\n", std::string(machine.status().message()).c_str());
    return 2;
  }
  if (absl::Status s = (*machine)->Start(); !s.ok()) {
    std::fprintf(stderr, "start error: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  std::atomic<bool> done{false};
  std::thread timer;
  if (timeout_s > 0) {
    timer = std::thread([&] {
      const absl::Time deadline = start + absl::Seconds(timeout_s);
      while (!done.load() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
      if (!done.load()) (*machine)->Stop();
    });
  }
  vmm::MachineExit exit = (*machine)->WaitForExit();
  done.store(true);
  if (timer.joinable()) timer.join();
  static const char* const kNames[] = {"power_off", "reboot", "crash", "stopped"};
  std::fprintf(stderr, "\nrun_linux: exit=%s after %.2f s: %s\n",
               kNames[static_cast<int>(exit.kind)], absl::ToDoubleSeconds(absl::Now() - start),
               exit.message.c_str());
  switch (exit.kind) {
    case vmm::MachineExit::Kind::kPowerOff:
      return 0;
    case vmm::MachineExit::Kind::kReboot:
      return 3;
    case vmm::MachineExit::Kind::kCrash:
      return 1;
    case vmm::MachineExit::Kind::kStopped:
      return 4;
  }
  return 1;
}
