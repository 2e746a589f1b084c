#ifndef TCG_RISCV64_TESTING_BARE_METAL_MACHINE_H_
#define TCG_RISCV64_TESTING_BARE_METAL_MACHINE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "tcg/riscv64/vcpu.h"
#include "tcg/runtime/executor.h"
#include "tcg/runtime/tb_cache.h"
#include "tcg/testing/flat_memory.h"

namespace tcg::riscv64::testing {

// A minimal machine for running bare-metal RV64 test programs in M-mode:
//   RAM at 0x80000000, a UART transmit port at 0x10000000 (16550 THR at +0,
//   LSR at +5 always "ready") and a sifive,test0 finisher at 0x100000
//   (write 0x5555 = pass, (code << 16) | 0x3333 = fail).
// Harts start at the ELF entry with a0 = hartid. A hart stopping at WFI
// with mie == 0 is parked; with interrupts enabled in mie it sleeps in
// Vcpu::WaitForInterrupt until a pin wakes it (or 10 s pass). The devices are tiny MMIO
// callbacks; real device models live in devices/.
class BareMetalMachine {
 public:
  static constexpr uint64_t kRamBase = 0x80000000;
  static constexpr uint64_t kUartBase = 0x10000000;
  static constexpr uint64_t kFinisherBase = 0x100000;
  // Interrupt-pin test port: a write of mask m to +8*h sets pins m of hart
  // h (Vcpu::SetInterruptPin), to +0x800+8*h clears them. Stands in for
  // CLINT/PLIC, which live in devices/riscv.
  static constexpr uint64_t kPinBase = 0x2000000;

  struct Options {
    uint64_t ram_size = 16 << 20;
    int harts = 1;
    uint64_t max_blocks = 50'000'000;  // per hart, to bound runaway tests
    TranslateOptions translate;
    size_t tb_cache_blocks = 1 << 16;
  };

  struct Result {
    bool finished = false;  // the finisher was written
    bool passed = false;
    uint32_t fail_code = 0;
    std::string uart;
    uint64_t insns = 0;  // summed over harts
    std::vector<Vcpu::StopReason> stops;
  };

  // `backend` executes blocks (the interpreter, or a native backend).
  BareMetalMachine(Options options, Backend* backend);

  absl::Status LoadElfFile(const std::string& path);
  tcg::testing::FlatMemory& memory() { return memory_; }
  TbCache& tb_cache() { return cache_; }

  // Runs every hart on its own thread until the finisher is written, all
  // harts stop (WFI/budget), or an internal error.
  absl::StatusOr<Result> Run();

 private:
  void Finish(bool passed, uint32_t code);

  Options options_;
  Backend* backend_;
  tcg::testing::FlatMemory memory_;
  TbCache cache_;
  uint64_t entry_ = kRamBase;
  std::vector<std::unique_ptr<Vcpu>> harts_;

  absl::Mutex mu_;
  std::string uart_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool passed_ ABSL_GUARDED_BY(mu_) = false;
  uint32_t fail_code_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tcg::riscv64::testing

#endif  // TCG_RISCV64_TESTING_BARE_METAL_MACHINE_H_
