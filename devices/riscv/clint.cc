#include "devices/riscv/clint.h"

#include <time.h>

#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"

namespace vmm {
namespace {

constexpr uint64_t kNsPerTick = 1000000000ull / Clint::kTimebaseHz;  // 100.

uint64_t Load(absl::Span<const uint8_t> data) {
  uint64_t v = 0;
  for (size_t i = 0; i < data.size(); ++i) v |= uint64_t{data[i]} << (8 * i);
  return v;
}

void Store(uint64_t v, absl::Span<uint8_t> data) {
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Replaces the 4 or 8 bytes at byte `shift` of `reg` with `value`.
uint64_t Merge(uint64_t reg, uint64_t value, size_t size, size_t shift) {
  if (size == 8) return value;
  uint64_t mask = 0xffffffffull << (8 * shift);
  return (reg & ~mask) | ((value << (8 * shift)) & mask);
}

}  // namespace

uint64_t Clint::MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

absl::StatusOr<std::unique_ptr<Clint>> Clint::Create(std::vector<HartInterruptPins> pins,
                                                     Clock clock) {
  if (pins.empty() || pins.size() > kMaxHarts) {
    return absl::InvalidArgumentError(
        absl::StrCat("clint harts=", pins.size(), ": must be 1..", kMaxHarts));
  }
  for (size_t i = 0; i < pins.size(); ++i) {
    if (!pins[i].msip || !pins[i].mtip) {
      return absl::InvalidArgumentError(absl::StrCat("clint hart ", i, ": msip/mtip line unset"));
    }
  }
  if (!clock) return absl::InvalidArgumentError("clint: no clock");
  return std::unique_ptr<Clint>(new Clint(std::move(pins), std::move(clock)));
}

Clint::Clint(std::vector<HartInterruptPins> pins, Clock clock)
    : pins_(std::move(pins)), clock_(std::move(clock)) {
  absl::MutexLock lock(&mu_);
  base_ns_ = clock_();
  msip_.assign(pins_.size(), 0);
  // Reset value: all ones, so no timer interrupt fires before software
  // programs one (QEMU and OpenSBI assume the same).
  mtimecmp_.assign(pins_.size(), std::numeric_limits<uint64_t>::max());
  mtip_.assign(pins_.size(), false);
}

uint64_t Clint::NowNsLocked() { return paused_at_ns_ ? *paused_at_ns_ : clock_(); }

uint64_t Clint::MtimeLocked() { return base_mtime_ + (NowNsLocked() - base_ns_) / kNsPerTick; }

uint64_t Clint::Mtime() {
  absl::MutexLock lock(&mu_);
  return MtimeLocked();
}

void Clint::UpdateLocked(uint64_t now_mtime) {
  for (size_t h = 0; h < pins_.size(); ++h) {
    bool level = now_mtime >= mtimecmp_[h];
    if (level != mtip_[h]) {
      mtip_[h] = level;
      pins_[h].mtip->SetLevel(level);
    }
  }
}

void Clint::UpdateTimers() {
  absl::MutexLock lock(&mu_);
  UpdateLocked(MtimeLocked());
}

std::optional<uint64_t> Clint::DeadlineLocked(size_t hart, uint64_t now_mtime) {
  if (paused_at_ns_) return std::nullopt;
  uint64_t now = NowNsLocked();
  if (now_mtime >= mtimecmp_[hart]) return now;
  uint64_t ticks = mtimecmp_[hart] - now_mtime;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (ticks > (kMax - now) / kNsPerTick) return kMax;
  return now + ticks * kNsPerTick;
}

std::optional<uint64_t> Clint::NextDeadlineNs(size_t hart) {
  absl::MutexLock lock(&mu_);
  if (hart >= pins_.size()) return std::nullopt;
  return DeadlineLocked(hart, MtimeLocked());
}

std::optional<uint64_t> Clint::NextDeadlineNs() {
  absl::MutexLock lock(&mu_);
  uint64_t mtime = MtimeLocked();
  std::optional<uint64_t> best;
  for (size_t h = 0; h < pins_.size(); ++h) {
    std::optional<uint64_t> d = DeadlineLocked(h, mtime);
    if (d && (!best || *d < *best)) best = d;
  }
  return best;
}

void Clint::Pause() {
  absl::MutexLock lock(&mu_);
  if (!paused_at_ns_) paused_at_ns_ = clock_();
}

void Clint::Resume() {
  absl::MutexLock lock(&mu_);
  if (!paused_at_ns_) return;
  base_ns_ += clock_() - *paused_at_ns_;
  paused_at_ns_.reset();
}

// Accesses must be naturally aligned 4- or 8-byte (msip: 4-byte only);
// anything else from the guest is ignored (reads keep the bus's all-ones).
void Clint::Read(uint64_t offset, absl::Span<uint8_t> data) {
  const size_t size = data.size();
  if ((size != 4 && size != 8) || offset % size != 0) return;
  absl::MutexLock lock(&mu_);
  const size_t harts = pins_.size();
  if (offset < kMsipBase + 4 * harts) {
    if (size == 4) Store(msip_[(offset - kMsipBase) / 4], data);
  } else if (offset >= kMtimecmpBase && offset < kMtimecmpBase + 8 * harts) {
    uint64_t rel = offset - kMtimecmpBase;
    Store(mtimecmp_[rel / 8] >> (8 * (rel % 8)), data);
  } else if (offset >= kMtime && offset < kMtime + 8) {
    uint64_t mtime = MtimeLocked();
    Store(mtime >> (8 * (offset - kMtime)), data);
  } else {
    Store(0, data);  // Unimplemented registers in the window read as zero.
  }
}

void Clint::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  const size_t size = data.size();
  if ((size != 4 && size != 8) || offset % size != 0) return;
  const uint64_t value = Load(data);
  absl::MutexLock lock(&mu_);
  const size_t harts = pins_.size();
  if (offset < kMsipBase + 4 * harts) {
    if (size != 4) return;
    size_t h = (offset - kMsipBase) / 4;
    uint32_t bit = value & 1;  // Upper bits are WARL zero.
    // Writing 1 over a pending 1 is still an IPI: the line is driven again
    // so a hart polling in WFI with MSIP already pending (OpenSBI 1.1's HSM
    // wait, see tcg::riscv64::Vcpu::kWfiPollBackoff) wakes for hart_start.
    if (bit != msip_[h] || bit != 0) {
      msip_[h] = bit;
      pins_[h].msip->SetLevel(bit != 0);
    }
  } else if (offset >= kMtimecmpBase && offset < kMtimecmpBase + 8 * harts) {
    uint64_t rel = offset - kMtimecmpBase;
    size_t h = rel / 8;
    mtimecmp_[h] = Merge(mtimecmp_[h], value, size, rel % 8);
    UpdateLocked(MtimeLocked());
  } else if (offset >= kMtime && offset < kMtime + 8) {
    uint64_t now = NowNsLocked();
    uint64_t mtime = MtimeLocked();
    base_mtime_ = Merge(mtime, value, size, offset - kMtime);
    base_ns_ = now;
    UpdateLocked(base_mtime_);
  }
}

}  // namespace vmm
