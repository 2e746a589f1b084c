#include "devices/riscv/plic.h"

#include "absl/strings/str_cat.h"

namespace vmm {

class Plic::SourceLine : public InterruptLine {
 public:
  SourceLine(Plic* plic, uint32_t source) : plic_(plic), source_(source) {}
  void SetLevel(bool high) override { plic_->SetSourceLevel(source_, high); }

 private:
  Plic* const plic_;  // Kept alive by the aliasing shared_ptr in Input().
  const uint32_t source_;
};

absl::StatusOr<std::shared_ptr<Plic>> Plic::Create(uint32_t num_sources,
                                                   std::vector<HartInterruptPins> pins) {
  if (num_sources < 2 || num_sources > kMaxSources) {
    return absl::InvalidArgumentError(
        absl::StrCat("plic num_sources=", num_sources, ": must be 2..", kMaxSources));
  }
  // Contexts must fit between kContextBase and the end of the window.
  const size_t max_harts = (kSize - kContextBase) / kContextStride / 2;
  if (pins.empty() || pins.size() > max_harts) {
    return absl::InvalidArgumentError(
        absl::StrCat("plic harts=", pins.size(), ": must be 1..", max_harts));
  }
  for (size_t i = 0; i < pins.size(); ++i) {
    if (!pins[i].meip || !pins[i].seip) {
      return absl::InvalidArgumentError(absl::StrCat("plic hart ", i, ": meip/seip line unset"));
    }
  }
  return std::shared_ptr<Plic>(new Plic(num_sources, std::move(pins)));
}

Plic::Plic(uint32_t num_sources, std::vector<HartInterruptPins> pins)
    : num_sources_(num_sources),
      num_contexts_(pins.size() * 2),
      words_((num_sources + 31) / 32),
      pins_(std::move(pins)) {
  absl::MutexLock lock(&mu_);
  priority_.assign(num_sources_, 0);
  level_.assign(num_sources_, false);
  pending_.assign(num_sources_, false);
  in_service_.assign(num_sources_, false);
  enable_.assign(num_contexts_ * words_, 0);
  threshold_.assign(num_contexts_, 0);
  output_.assign(num_contexts_, false);
}

absl::StatusOr<std::shared_ptr<InterruptLine>> Plic::Input(uint32_t source) {
  if (source == 0 || source >= num_sources_) {
    return absl::InvalidArgumentError(
        absl::StrCat("plic source=", source, ": must be 1..", num_sources_ - 1));
  }
  auto line = std::make_shared<SourceLine>(this, source);
  // The line owns a reference to the PLIC too, so it may outlive the machine's.
  std::shared_ptr<Plic> self = shared_from_this();
  return std::shared_ptr<InterruptLine>(
      line.get(), [line, self](InterruptLine*) mutable { line.reset(); self.reset(); });
}

void Plic::SetSourceLevel(uint32_t source, bool high) {
  if (source == 0 || source >= num_sources_) return;
  absl::MutexLock lock(&mu_);
  level_[source] = high;
  // Level-triggered gateway: a high line is pending unless already claimed
  // (it is re-sampled on completion); a dropped line withdraws the request.
  if (!in_service_[source]) pending_[source] = high;
  UpdateOutputs();
}

InterruptLine& Plic::ContextLine(size_t ctx) const {
  const HartInterruptPins& p = pins_[ctx / 2];
  return ctx % 2 == 0 ? *p.meip : *p.seip;
}

bool Plic::Enabled(size_t ctx, uint32_t src) const {
  return (enable_[ctx * words_ + src / 32] >> (src % 32)) & 1;
}

uint32_t Plic::Best(size_t ctx) const {
  uint32_t best = 0, best_prio = threshold_[ctx];
  // Highest priority wins; ties go to the lowest source ID (spec 1.0.0 ch. 5).
  for (uint32_t s = 1; s < num_sources_; ++s) {
    if (pending_[s] && priority_[s] > best_prio && Enabled(ctx, s)) {
      best = s;
      best_prio = priority_[s];
    }
  }
  return best;
}

void Plic::UpdateOutputs() {
  for (size_t ctx = 0; ctx < num_contexts_; ++ctx) {
    bool level = Best(ctx) != 0;
    if (level != output_[ctx]) {
      output_[ctx] = level;
      ContextLine(ctx).SetLevel(level);
    }
  }
}

uint32_t Plic::Claim(size_t ctx) {
  uint32_t s = Best(ctx);
  if (s != 0) {
    pending_[s] = false;
    in_service_[s] = true;
    UpdateOutputs();
  }
  return s;
}

void Plic::Complete(size_t ctx, uint32_t src) {
  // A completion for a source not enabled on this context is ignored
  // (spec 1.0.0, "Interrupt Completion").
  if (src == 0 || src >= num_sources_ || !Enabled(ctx, src)) return;
  in_service_[src] = false;
  if (level_[src]) pending_[src] = true;
  UpdateOutputs();
}

uint32_t Plic::ReadReg(uint64_t offset) {
  if (offset < kPending) {
    uint64_t s = offset / 4;
    return s < num_sources_ ? priority_[s] : 0;
  }
  if (offset < kEnableBase) {
    uint64_t w = (offset - kPending) / 4;
    if (w >= words_) return 0;
    uint32_t v = 0;
    for (uint32_t b = 0; b < 32; ++b) {
      uint64_t s = w * 32 + b;
      if (s < num_sources_ && pending_[s]) v |= 1u << b;
    }
    return v;
  }
  if (offset < kContextBase) {
    uint64_t ctx = (offset - kEnableBase) / kEnableStride;
    uint64_t w = (offset - kEnableBase) % kEnableStride / 4;
    if (ctx >= num_contexts_ || w >= words_) return 0;
    return enable_[ctx * words_ + w];
  }
  uint64_t ctx = (offset - kContextBase) / kContextStride;
  uint64_t reg = (offset - kContextBase) % kContextStride;
  if (ctx >= num_contexts_) return 0;
  if (reg == 0) return threshold_[ctx];
  if (reg == 4) return Claim(ctx);
  return 0;
}

void Plic::WriteReg(uint64_t offset, uint32_t value) {
  if (offset < kPending) {
    uint64_t s = offset / 4;
    if (s == 0 || s >= num_sources_) return;
    priority_[s] = value & kMaxPriority;
    UpdateOutputs();
    return;
  }
  if (offset < kEnableBase) return;  // Pending bits are read-only.
  if (offset < kContextBase) {
    uint64_t ctx = (offset - kEnableBase) / kEnableStride;
    uint64_t w = (offset - kEnableBase) % kEnableStride / 4;
    if (ctx >= num_contexts_ || w >= words_) return;
    if (w == 0) value &= ~1u;  // Source 0 does not exist.
    if (w == words_ - 1 && num_sources_ % 32 != 0) value &= (1u << (num_sources_ % 32)) - 1;
    enable_[ctx * words_ + w] = value;
    UpdateOutputs();
    return;
  }
  uint64_t ctx = (offset - kContextBase) / kContextStride;
  uint64_t reg = (offset - kContextBase) % kContextStride;
  if (ctx >= num_contexts_) return;
  if (reg == 0) {
    threshold_[ctx] = value & kMaxPriority;
    UpdateOutputs();
  } else if (reg == 4) {
    Complete(ctx, value);
  }
}

// Only naturally aligned 32-bit accesses are defined (spec 1.0.0, "Memory
// Map"); others are ignored.
void Plic::Read(uint64_t offset, absl::Span<uint8_t> data) {
  if (data.size() != 4 || offset % 4 != 0 || offset >= kSize) return;
  absl::MutexLock lock(&mu_);
  uint32_t v = ReadReg(offset);
  for (int i = 0; i < 4; ++i) data[i] = static_cast<uint8_t>(v >> (8 * i));
}

void Plic::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  if (data.size() != 4 || offset % 4 != 0 || offset >= kSize) return;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{data[i]} << (8 * i);
  absl::MutexLock lock(&mu_);
  WriteReg(offset, v);
}

}  // namespace vmm
