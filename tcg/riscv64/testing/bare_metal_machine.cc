#include "tcg/riscv64/testing/bare_metal_machine.h"

#include <elf.h>

#include <thread>

#include "absl/strings/str_format.h"
#include "tcg/testing/elf_loader.h"

namespace tcg::riscv64::testing {

BareMetalMachine::BareMetalMachine(Options options, Backend* backend)
    : options_(options),
      backend_(backend),
      memory_(kRamBase, options.ram_size),
      cache_(options.tb_cache_blocks) {
  memory_.AddMmio(
      kUartBase, 8,
      [](uint64_t off, unsigned) -> absl::StatusOr<uint64_t> {
        return off == 5 ? 0x60 : 0;  // LSR: THR empty, transmitter idle
      },
      [this](uint64_t off, unsigned, uint64_t value) {
        if (off == 0) {
          absl::MutexLock lock(&mu_);
          uart_.push_back(static_cast<char>(value));
        }
        return absl::OkStatus();
      });
  memory_.AddMmio(
      kFinisherBase, 0x1000,
      [](uint64_t, unsigned) -> absl::StatusOr<uint64_t> { return 0; },
      [this](uint64_t off, unsigned, uint64_t value) {
        if (off != 0) return absl::OkStatus();
        const uint32_t v = static_cast<uint32_t>(value);
        if ((v & 0xffff) == 0x5555) {
          Finish(true, 0);
        } else if ((v & 0xffff) == 0x3333) {
          Finish(false, v >> 16);
        } else {
          return absl::InvalidArgumentError(
              absl::StrFormat("finisher value=0x%x: want 0x5555 or 0x3333", v));
        }
        return absl::OkStatus();
      });
  memory_.AddMmio(
      kPinBase, 0x1000,
      [](uint64_t, unsigned) -> absl::StatusOr<uint64_t> { return 0; },
      [this](uint64_t off, unsigned, uint64_t value) {
        const bool set = off < 0x800;
        const uint64_t hart = (off & 0x7ff) / 8;
        // harts_ is fixed while harts run; out-of-range harts are ignored.
        if ((off & 7) == 0 && hart < harts_.size()) harts_[hart]->SetInterruptPin(value, set);
        return absl::OkStatus();
      });
}

void BareMetalMachine::Finish(bool passed, uint32_t code) {
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    passed_ = passed;
    fail_code_ = code;
  }
  for (auto& hart : harts_) hart->RequestStop();
}

absl::Status BareMetalMachine::LoadElfFile(const std::string& path) {
  absl::StatusOr<std::string> image = tcg::testing::ReadFile(path);
  if (!image.ok()) return image.status();
  absl::StatusOr<tcg::testing::LoadedElf> elf = tcg::testing::LoadElf(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(image->data()), image->size()),
      EM_RISCV, memory_);
  if (!elf.ok()) return elf.status();
  entry_ = elf->entry;
  return absl::OkStatus();
}

absl::StatusOr<BareMetalMachine::Result> BareMetalMachine::Run() {
  if (options_.harts < 1 || options_.harts > 64) {
    return absl::InvalidArgumentError(absl::StrFormat("harts=%d: must be 1..64", options_.harts));
  }
  harts_.clear();
  for (int h = 0; h < options_.harts; ++h) {
    auto hart = std::make_unique<Vcpu>(&cache_, backend_, &memory_, h, options_.translate);
    hart->state().pc = entry_;
    hart->state().x[10] = h;  // a0 = hartid, as firmware expects
    harts_.push_back(std::move(hart));
  }
  std::vector<absl::StatusOr<Vcpu::StopReason>> stops(harts_.size(), Vcpu::StopReason{});
  std::vector<std::thread> threads;
  for (size_t h = 0; h < harts_.size(); ++h) {
    threads.emplace_back([this, h, &stops] {
      Vcpu& hart = *harts_[h];
      for (;;) {
        stops[h] = hart.Run(options_.max_blocks);
        if (!stops[h].ok() || *stops[h] != Vcpu::StopReason::kWaitForInterrupt ||
            hart.state().mie == 0) {
          break;
        }
        if (!hart.WaitForInterrupt(absl::Now() + absl::Seconds(10))) break;
      }
      // A hart that stops (budget, error) does not stop the others, but a
      // finisher write stops all.
    });
  }
  for (auto& t : threads) t.join();
  Result r;
  for (size_t h = 0; h < harts_.size(); ++h) {
    if (!stops[h].ok()) return stops[h].status();
    r.stops.push_back(*stops[h]);
    r.insns += harts_[h]->insns_retired();
  }
  absl::MutexLock lock(&mu_);
  r.finished = finished_;
  r.passed = passed_;
  r.fail_code = fail_code_;
  r.uart = uart_;
  return r;
}

}  // namespace tcg::riscv64::testing
