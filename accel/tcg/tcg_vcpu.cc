#include "accel/tcg/tcg_vcpu.h"

#include "absl/strings/str_format.h"
#include "tcg/interp/interpreter.h"
#include "tcg/riscv64/cpu_state.h"
#include "tcg/x86_64/backend.h"

namespace vmm {
namespace {

class HartPin : public InterruptLine {
 public:
  HartPin(tcg::riscv64::Vcpu* hart, uint64_t mask) : hart_(hart), mask_(mask) {}
  void SetLevel(bool high) override { hart_->SetInterruptPin(mask_, high); }

 private:
  tcg::riscv64::Vcpu* hart_;
  const uint64_t mask_;
};

}  // namespace

std::unique_ptr<TcgEngine> TcgEngine::Create(BackendKind kind) {
  auto engine = std::make_unique<TcgEngine>();
  if (kind == BackendKind::kInterpreter) {
    engine->backend = std::make_unique<tcg::Interpreter>();
  } else {
    engine->backend = std::make_unique<tcg::x86_64::X86Backend>(tcg::riscv64::kPcOffset);
  }
  return engine;
}

TcgVcpu::TcgVcpu(uint32_t id, TcgEngine* engine, tcg::GuestMemoryInterface* memory,
                 Platform platform)
    : id_(id),
      platform_(std::move(platform)),
      hart_(&engine->cache, engine->backend.get(), memory, id) {
  if (platform_.mtime) hart_.SetTimeSource(platform_.mtime);
}

std::shared_ptr<InterruptLine> TcgVcpu::Pin(uint64_t mask) {
  return std::make_shared<HartPin>(&hart_, mask);
}

void TcgVcpu::Kick() {
  // Flag first: the hart loop checks it after the stop wakes it.
  kicked_.store(true, std::memory_order_release);
  hart_.RequestStop();
}

absl::StatusOr<VcpuExit> TcgVcpu::Run() {
  VcpuExit exit;
  for (;;) {
    if (kicked_.exchange(false, std::memory_order_acq_rel)) {
      exit.kind = VcpuExit::Kind::kInterrupted;
      return exit;
    }
    if (platform_.update_timers) platform_.update_timers();
    absl::StatusOr<tcg::riscv64::Vcpu::StopReason> stop = hart_.Run(kBlocksPerSlice);
    if (!stop.ok()) {
      exit.kind = VcpuExit::Kind::kInternalError;
      exit.detail = absl::StrCat("tcg: ", stop.status().message());
      return exit;
    }
    if (*stop == tcg::riscv64::Vcpu::StopReason::kWaitForInterrupt) {
      const absl::Time deadline = platform_.timer_deadline
                                      ? platform_.timer_deadline(id_)
                                      : absl::Now() + absl::Milliseconds(10);
      hart_.WaitForInterrupt(deadline);
    }
    // kStopRequested: the loop head returns kInterrupted if it was a Kick.
  }
}

std::string TcgVcpu::DescribeState() {
  const tcg::riscv64::CpuState& s = hart_.state();
  return absl::StrFormat(
      "hart %u: pc=0x%x priv=%u mcause=0x%x mepc=0x%x mtval=0x%x scause=0x%x sepc=0x%x "
      "stval=0x%x satp=0x%x ra=0x%x sp=0x%x mstatus=0x%x mie=0x%x mip=0x%x pins=0x%x "
      "insns=%u",
      id_, s.pc, s.priv, s.mcause, s.mepc, s.mtval, s.scause, s.sepc, s.stval, s.satp, s.x[1],
      s.x[2], s.mstatus, s.mie, s.mip, hart_.pins(), hart_.insns_retired());
}

}  // namespace vmm
