#include "devices/virtio/queue/guest_write_check.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/str_format.h"

namespace vmm {
namespace virtio {
namespace testing {

uint16_t RawQueue::Place(const std::vector<RawBuf>& bufs, std::optional<GuestAddress> table) {
  auto flags_of = [](const RawBuf& b, bool more) {
    return static_cast<uint16_t>((b.writable ? kVirtqDescFWrite : 0) |
                                 (more ? kVirtqDescFNext : 0));
  };
  const uint16_t head = next_slot_;
  if (table.has_value()) {
    for (size_t i = 0; i < bufs.size(); ++i) {
      const bool more = i + 1 < bufs.size();
      (void)memory_->WriteObj(GuestAddress(table->value() + 16 * i),
                              VirtqDesc{bufs[i].addr.value(), bufs[i].len, flags_of(bufs[i], more),
                                        static_cast<uint16_t>(i + 1)});
    }
    (void)memory_->WriteObj(GuestAddress(desc_.value() + 16ull * head),
                            VirtqDesc{table->value(), static_cast<uint32_t>(16 * bufs.size()),
                                      kVirtqDescFIndirect, 0});
    next_slot_ = static_cast<uint16_t>((next_slot_ + 1) % size_);
  } else {
    for (size_t i = 0; i < bufs.size(); ++i) {
      const uint16_t slot = next_slot_;
      next_slot_ = static_cast<uint16_t>((next_slot_ + 1) % size_);
      const bool more = i + 1 < bufs.size();
      (void)memory_->WriteObj(
          GuestAddress(desc_.value() + 16ull * slot),
          VirtqDesc{bufs[i].addr.value(), bufs[i].len, flags_of(bufs[i], more), next_slot_});
    }
  }
  (void)memory_->WriteObj(
      GuestAddress(avail_.value() + kAvailRingOffset + 2ull * (placed_idx_ % size_)), head);
  ++placed_idx_;
  return head;
}

void RawQueue::Publish() {
  std::atomic_thread_fence(std::memory_order_release);
  avail_idx_ = placed_idx_;
  (void)memory_->StoreAtomic16(GuestAddress(avail_.value() + kAvailIdxOffset), avail_idx_);
}

uint16_t RawQueue::UsedIdx() const {
  return memory_->LoadAtomic16(GuestAddress(used_.value() + kUsedIdxOffset)).value_or(0);
}

std::vector<VirtqUsedElem> RawQueue::TakeUsed() {
  std::vector<VirtqUsedElem> out;
  const uint16_t idx = UsedIdx();
  std::atomic_thread_fence(std::memory_order_acquire);
  while (last_used_ != idx) {
    out.push_back(memory_
                      ->ReadObj<VirtqUsedElem>(GuestAddress(used_.value() + kUsedRingOffset +
                                                            8ull * (last_used_ % size_)))
                      .value_or(VirtqUsedElem{0xffffffff, 0}));
    ++last_used_;
  }
  return out;
}

namespace {
uint8_t CanaryByte(uint64_t addr) {
  // Odd multiplier and a rotating xor: neighbouring bytes differ, none of
  // the 256 values is favoured, and a zero run never appears.
  const uint64_t x = addr * 0x9e3779b97f4a7c15ull;
  return static_cast<uint8_t>((x >> 56) | 1);
}
}  // namespace

void FillCanary(GuestMemory& memory, GuestAddress start, uint64_t len) {
  std::vector<uint8_t> buf(len);
  for (uint64_t i = 0; i < len; ++i) buf[i] = CanaryByte(start.value() + i);
  (void)memory.Write(start, buf);
}

std::vector<uint8_t> Snapshot(const GuestMemory& memory, GuestAddress start, uint64_t len) {
  std::vector<uint8_t> out(len);
  (void)memory.Read(start, absl::Span<uint8_t>(out));
  return out;
}

void WriteMap::AllowWritablePrefix(const std::vector<RawBuf>& bufs, uint64_t len) {
  for (const RawBuf& b : bufs) {
    if (len == 0) break;
    if (!b.writable) continue;
    const uint64_t take = std::min<uint64_t>(b.len, len);
    Allow(b.addr, take);
    len -= take;
  }
}

std::string WriteMap::Diff(const GuestMemory& memory, GuestAddress start,
                           const std::vector<uint8_t>& before) const {
  const std::vector<uint8_t> now = Snapshot(memory, start, before.size());
  std::vector<bool> allowed(before.size(), false);
  for (const auto& [addr, len] : ranges_) {
    for (uint64_t i = 0; i < len; ++i) {
      const uint64_t a = addr + i;
      if (a >= start.value() && a - start.value() < before.size()) allowed[a - start.value()] = true;
    }
  }
  std::string out;
  int reported = 0;
  for (uint64_t i = 0; i < before.size() && reported < 8;) {
    if (allowed[i] || now[i] == before[i]) {
      ++i;
      continue;
    }
    uint64_t j = i;
    while (j < before.size() && !allowed[j] && now[j] != before[j]) ++j;
    out += absl::StrFormat("[0x%x, 0x%x) changed (first byte 0x%02x -> 0x%02x); ",
                           start.value() + i, start.value() + j, before[i], now[i]);
    ++reported;
    i = j;
  }
  return out;
}

std::vector<uint8_t> ReadWritablePrefix(const GuestMemory& memory, const std::vector<RawBuf>& bufs,
                                        uint64_t len) {
  std::vector<uint8_t> out;
  for (const RawBuf& b : bufs) {
    if (len == 0) break;
    if (!b.writable) continue;
    const uint64_t take = std::min<uint64_t>(b.len, len);
    std::vector<uint8_t> part(take);
    (void)memory.Read(b.addr, absl::Span<uint8_t>(part));
    out.insert(out.end(), part.begin(), part.end());
    len -= take;
  }
  return out;
}

}  // namespace testing
}  // namespace virtio
}  // namespace vmm
