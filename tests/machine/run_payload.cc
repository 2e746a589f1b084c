// Boots one payload on the x86 KVM machine, copies its console to stdout and
// stdin to its console; for trying payloads by hand and measuring idle cost.
//   run_payload <payload.bin> [vcpus] [seconds]
// After `seconds` (default: run until the guest exits) it asks for power off,
// waits 2 s, then stops the machine.
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/time/clock.h"
#include "vmm/machine/machine.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <payload.bin> [vcpus] [seconds]\n", argv[0]);
    return 2;
  }
  vmm::MachineSpec spec;
  spec.payload_path = argv[1];
  spec.vcpus = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[2])) : 1;
  spec.memory_bytes = 64 << 20;
  int seconds = argc > 3 ? std::atoi(argv[3]) : 0;
  auto machine = vmm::BuildMachine(spec, [](absl::string_view bytes) {
    ssize_t ignored = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
    (void)ignored;
  });
  if (!machine.ok()) {
    std::fprintf(stderr, "%s\n", std::string(machine.status().message()).c_str());
    return 1;
  }
  if (absl::Status s = (*machine)->Start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::atomic<bool> done{false};
  std::thread input([&] {
    while (!done.load()) {
      pollfd p{STDIN_FILENO, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
      if (n <= 0) break;
      (*machine)->SendConsoleInput(absl::string_view(buf, static_cast<size_t>(n)));
    }
  });
  std::thread timer;
  if (seconds > 0) {
    timer = std::thread([&] {
      absl::Time deadline = absl::Now() + absl::Seconds(seconds);
      while (!done.load() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
      if (done.load()) return;
      (*machine)->RequestPowerOff();
      deadline = absl::Now() + absl::Seconds(2);
      while (!done.load() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
      if (!done.load()) (*machine)->Stop();
    });
  }
  vmm::MachineExit exit = (*machine)->WaitForExit();
  done.store(true);
  input.join();
  if (timer.joinable()) timer.join();
  static const char* const kNames[] = {"power_off", "reboot", "crash", "stopped"};
  std::fprintf(stderr, "exit=%s message=%s\n", kNames[static_cast<int>(exit.kind)],
               exit.message.c_str());
  return exit.kind == vmm::MachineExit::Kind::kCrash ? 1 : 0;
}
