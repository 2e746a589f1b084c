#ifndef ACCEL_TCG_TCG_VCPU_H_
#define ACCEL_TCG_TCG_VCPU_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "accel/accelerator.h"
#include "devices/irq/interrupt_line.h"
#include "tcg/riscv64/vcpu.h"
#include "tcg/runtime/executor.h"
#include "tcg/runtime/tb_cache.h"

namespace vmm {

// What one VM's harts share on the TCG: the translation-block cache and the
// backend that runs blocks (native x86-64 code, or the portable
// interpreter).
struct TcgEngine {
  enum class BackendKind { kNative, kInterpreter };
  static std::unique_ptr<TcgEngine> Create(BackendKind kind = BackendKind::kNative);
  tcg::TbCache cache;
  std::unique_ptr<tcg::Backend> backend;
};

// The vmm::Vcpu interface over one riscv64 TCG hart. Devices are reached
// directly through the TcgGuestMemory's bus, so Run() only comes back for
// the host: kInterrupted after Kick(), kInternalError if the JIT fails.
// A hart in WFI sleeps in tcg::riscv64::Vcpu::WaitForInterrupt (no host
// CPU) until an interrupt pin, a Kick(), or the platform timer's deadline.
class TcgVcpu : public Vcpu {
 public:
  struct Platform {
    // Called before each slice of guest code and after a WFI sleep (the
    // CLINT samples mtime against mtimecmp here).
    std::function<void()> update_timers;
    // When a hart sleeping in WFI must wake for its timer.
    std::function<absl::Time(uint32_t hart)> timer_deadline;
    // The `time` CSR (mtime).
    std::function<uint64_t()> mtime;
  };
  // Blocks run between timer samples.
  static constexpr uint64_t kBlocksPerSlice = 20000;

  TcgVcpu(uint32_t id, TcgEngine* engine, tcg::GuestMemoryInterface* memory, Platform platform);

  uint32_t id() const override { return id_; }
  absl::StatusOr<VcpuExit> Run() override;
  void Kick() override;
  std::string DescribeState() override;

  tcg::riscv64::Vcpu& hart() { return hart_; }

  // An interrupt input of this hart (mip bits `mask`, e.g. kMipMtip) as a
  // line devices drive.
  std::shared_ptr<InterruptLine> Pin(uint64_t mask);

 private:
  const uint32_t id_;
  Platform platform_;
  tcg::riscv64::Vcpu hart_;
  std::atomic<bool> kicked_{false};
};

}  // namespace vmm

#endif  // ACCEL_TCG_TCG_VCPU_H_
