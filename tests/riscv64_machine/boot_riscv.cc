// Boots a riscv64 kernel (or payload) on the riscv64 virt machine through
// BuildMachine, streams the console to stdout, and reports on stderr the
// wall time until a console marker appears, how the machine ended, and the
// process's peak RSS. Used by boot_bench.sh and by hand:
//   boot_riscv --kernel Image --initrd init.cpio --vcpus 2 --marker MARKER

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "vmm/machine/machine.h"
#include "vmm/machine/riscv/riscv_virt_machine.h"

namespace {

const char* Arg(int argc, char** argv, const char* name, const char* def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return def;
}

const char* KindName(vmm::MachineExit::Kind k) {
  switch (k) {
    case vmm::MachineExit::Kind::kPowerOff: return "poweroff";
    case vmm::MachineExit::Kind::kReboot: return "reboot";
    case vmm::MachineExit::Kind::kCrash: return "crash";
    case vmm::MachineExit::Kind::kStopped: return "stopped";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  vmm::MachineSpec spec;
  spec.arch = vmm::GuestArch::kRiscv64;
  spec.accel = vmm::AccelKind::kAuto;
  spec.kernel_path = Arg(argc, argv, "--kernel", "");
  spec.initrd_path = Arg(argc, argv, "--initrd", "");
  spec.payload_path = Arg(argc, argv, "--payload", "");
  spec.cmdline = Arg(argc, argv, "--cmdline", "");
  spec.firmware_path = Arg(argc, argv, "--firmware", "");
  spec.vcpus = static_cast<uint32_t>(std::atoi(Arg(argc, argv, "--vcpus", "1")));
  spec.memory_bytes = std::strtoull(Arg(argc, argv, "--mem-mib", "256"), nullptr, 10) << 20;
  const std::string disk = Arg(argc, argv, "--disk", "");
  if (!disk.empty()) {
    vmm::DiskConfig d;
    d.path = disk;
    spec.disks.push_back(d);
  }
  const std::string marker = Arg(argc, argv, "--marker", "");
  const double timeout_s = std::atof(Arg(argc, argv, "--timeout", "120"));

  absl::Mutex mu;
  std::string console;
  absl::Time marker_at = absl::InfiniteFuture();
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<vmm::Machine>> m =
      vmm::BuildMachine(spec, [&](absl::string_view bytes) {
        fwrite(bytes.data(), 1, bytes.size(), stdout);
        fflush(stdout);
        absl::MutexLock lock(&mu);
        console.append(bytes.data(), bytes.size());
        if (!marker.empty() && marker_at == absl::InfiniteFuture() &&
            absl::StrContains(console, marker)) {
          marker_at = absl::Now();
        }
      });
  if (!m.ok()) {
    fprintf(stderr, "boot_riscv: %s\n", std::string(m.status().message()).c_str());
    return 2;
  }
  if (absl::Status s = (*m)->Start(); !s.ok()) {
    fprintf(stderr, "boot_riscv: start: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  std::thread watchdog([&] {
    absl::SleepFor(absl::Seconds(timeout_s));
    (*m)->Stop();
  });
  watchdog.detach();
  if (const char* every = getenv("BOOT_RISCV_SAMPLE_S")) {
    // Debugging aid: racy hart-state samples while the guest runs.
    std::thread([&m, every] {
      for (;;) {
        absl::SleepFor(absl::Seconds(std::atof(every)));
        if (auto* rv = dynamic_cast<vmm::RiscvVirtMachine*>(m->get())) {
          fprintf(stderr, "sample:\n%s", rv->DescribeHarts().c_str());
        }
      }
    }).detach();
  }
  vmm::MachineExit exit = (*m)->WaitForExit();
  const absl::Time end = absl::Now();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  if (getenv("BOOT_RISCV_STATE") != nullptr) {
    if (auto* rv = dynamic_cast<vmm::RiscvVirtMachine*>(m->get())) {
      fprintf(stderr, "%s", rv->DescribeHarts().c_str());
    }
  }
  absl::MutexLock lock(&mu);
  fprintf(stderr, "\nboot_riscv: exit=%s message=\"%s\" wall_s=%.3f marker_s=%.3f maxrss_kib=%ld\n",
          KindName(exit.kind), exit.message.c_str(), absl::ToDoubleSeconds(end - start),
          marker_at == absl::InfiniteFuture() ? -1.0 : absl::ToDoubleSeconds(marker_at - start),
          ru.ru_maxrss);
  // The machine may still hold threads blocked on nothing; exit directly.
  std::_Exit(marker.empty() || marker_at != absl::InfiniteFuture() ? 0 : 1);
}
