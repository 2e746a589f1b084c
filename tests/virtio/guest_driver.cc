#include "tests/virtio/guest_driver.h"

#include <cstring>
#include <thread>

#include "absl/strings/str_format.h"

namespace vmm {
namespace virtio {
namespace testing {

uint32_t GuestDriver::ReadReg(uint64_t offset) {
  uint32_t v = 0;
  transport_->Read(offset, absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&v), 4));
  return v;
}

void GuestDriver::WriteReg(uint64_t offset, uint32_t value) {
  transport_->Write(offset, absl::Span<const uint8_t>(reinterpret_cast<uint8_t*>(&value), 4));
}

GuestAddress GuestDriver::Alloc(uint64_t len, uint64_t align) {
  heap_ = (heap_ + align - 1) / align * align;
  GuestAddress at(heap_);
  heap_ += len;
  std::vector<uint8_t> zero(len, 0);
  (void)memory_->Write(at, zero);
  return at;
}

absl::StatusOr<uint64_t> GuestDriver::Negotiate(uint64_t wanted) {
  if (ReadReg(mmio::kMagicValue) != mmio::kMagic || ReadReg(mmio::kVersion) != 2) {
    return absl::FailedPreconditionError("not a virtio-mmio v2 device");
  }
  WriteReg(mmio::kStatus, 0);
  WriteReg(mmio::kStatus, 1);
  WriteReg(mmio::kStatus, 1 | 2);
  uint64_t offered = 0;
  for (uint32_t sel = 0; sel < 2; ++sel) {
    WriteReg(mmio::kDeviceFeaturesSel, sel);
    offered |= uint64_t{ReadReg(mmio::kDeviceFeatures)} << (32 * sel);
  }
  const uint64_t accepted = offered & wanted;
  for (uint32_t sel = 0; sel < 2; ++sel) {
    WriteReg(mmio::kDriverFeaturesSel, sel);
    WriteReg(mmio::kDriverFeatures, static_cast<uint32_t>(accepted >> (32 * sel)));
  }
  WriteReg(mmio::kStatus, 1 | 2 | 8);
  if (!(status() & 8)) {
    return absl::FailedPreconditionError(
        absl::StrFormat("FEATURES_OK refused for features 0x%x", accepted));
  }
  return accepted;
}

absl::Status GuestDriver::SetupQueue(uint16_t index, uint16_t size) {
  WriteReg(mmio::kQueueSel, index);
  const uint32_t max = ReadReg(mmio::kQueueNumMax);
  if (max == 0 || size > max) {
    return absl::InvalidArgumentError(
        absl::StrFormat("queue %d: size %d > max %d", index, size, max));
  }
  if (queues_.size() <= index) queues_.resize(index + 1);
  Q& q = queues_[index];
  q = Q();
  q.size = size;
  q.desc = Alloc(DescTableBytes(size), 16).value();
  q.avail = Alloc(AvailRingBytes(size), 2).value();
  q.used = Alloc(UsedRingBytes(size), 4).value();
  WriteReg(mmio::kQueueNum, size);
  WriteReg(mmio::kQueueDescLow, static_cast<uint32_t>(q.desc));
  WriteReg(mmio::kQueueDescHigh, static_cast<uint32_t>(q.desc >> 32));
  WriteReg(mmio::kQueueDriverLow, static_cast<uint32_t>(q.avail));
  WriteReg(mmio::kQueueDriverHigh, static_cast<uint32_t>(q.avail >> 32));
  WriteReg(mmio::kQueueDeviceLow, static_cast<uint32_t>(q.used));
  WriteReg(mmio::kQueueDeviceHigh, static_cast<uint32_t>(q.used >> 32));
  WriteReg(mmio::kQueueReady, 1);
  return absl::OkStatus();
}

void GuestDriver::WriteDesc(uint16_t qi, uint16_t i, const VirtqDesc& d) {
  (void)memory_->WriteObj(GuestAddress(queues_[qi].desc + 16ull * i), d);
}

void GuestDriver::PushAvail(uint16_t qi, uint16_t head) {
  Q& q = queues_[qi];
  (void)memory_->WriteObj(GuestAddress(q.avail + kAvailRingOffset + 2ull * (q.avail_idx % q.size)),
                          head);
  ++q.avail_idx;
  (void)memory_->StoreAtomic16(GuestAddress(q.avail + kAvailIdxOffset), q.avail_idx);
}

void GuestDriver::SetAvailIdx(uint16_t qi, uint16_t idx) {
  queues_[qi].avail_idx = idx;
  (void)memory_->StoreAtomic16(GuestAddress(queues_[qi].avail + kAvailIdxOffset), idx);
}

void GuestDriver::SetUsedEvent(uint16_t qi, uint16_t v) {
  const Q& q = queues_[qi];
  (void)memory_->StoreAtomic16(GuestAddress(q.avail + kAvailRingOffset + 2ull * q.size), v);
}

void GuestDriver::SetAvailFlags(uint16_t qi, uint16_t flags) {
  (void)memory_->StoreAtomic16(GuestAddress(queues_[qi].avail + kAvailFlagsOffset), flags);
}

uint16_t GuestDriver::AvailEvent(uint16_t qi) {
  const Q& q = queues_[qi];
  return memory_->LoadAtomic16(GuestAddress(q.used + kUsedRingOffset + 8ull * q.size))
      .value_or(0xffff);
}

uint16_t GuestDriver::UsedIdx(uint16_t qi) {
  return memory_->LoadAtomic16(GuestAddress(queues_[qi].used + kUsedIdxOffset)).value_or(0);
}

VirtqUsedElem GuestDriver::UsedElemAt(uint16_t qi, uint16_t idx) {
  const Q& q = queues_[qi];
  return memory_
      ->ReadObj<VirtqUsedElem>(GuestAddress(q.used + kUsedRingOffset + 8ull * (idx % q.size)))
      .value_or(VirtqUsedElem{0xffff, 0});
}

uint16_t GuestDriver::AddChain(uint16_t qi, const std::vector<Buf>& bufs, bool indirect) {
  Q& q = queues_[qi];
  auto flags_of = [](const Buf& b, bool more) {
    return static_cast<uint16_t>((b.writable ? kVirtqDescFWrite : 0) |
                                 (more ? kVirtqDescFNext : 0));
  };
  if (indirect) {
    GuestAddress table = Alloc(16 * bufs.size(), 16);
    for (size_t i = 0; i < bufs.size(); ++i) {
      const bool more = i + 1 < bufs.size();
      VirtqDesc d{bufs[i].addr.value(), bufs[i].len, flags_of(bufs[i], more),
                  static_cast<uint16_t>(i + 1)};
      (void)memory_->WriteObj(GuestAddress(table.value() + 16 * i), d);
    }
    const uint16_t head = q.next_slot;
    q.next_slot = static_cast<uint16_t>((q.next_slot + 1) % q.size);
    WriteDesc(
        qi, head,
        VirtqDesc{table.value(), static_cast<uint32_t>(16 * bufs.size()), kVirtqDescFIndirect, 0});
    PushAvail(qi, head);
    return head;
  }
  const uint16_t head = q.next_slot;
  for (size_t i = 0; i < bufs.size(); ++i) {
    const uint16_t slot = q.next_slot;
    q.next_slot = static_cast<uint16_t>((q.next_slot + 1) % q.size);
    const bool more = i + 1 < bufs.size();
    WriteDesc(qi, slot,
              VirtqDesc{bufs[i].addr.value(), bufs[i].len, flags_of(bufs[i], more), q.next_slot});
  }
  PushAvail(qi, head);
  return head;
}

absl::StatusOr<VirtqUsedElem> GuestDriver::WaitUsed(uint16_t qi,
                                                    std::chrono::milliseconds timeout) {
  Q& q = queues_[qi];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (UsedIdx(qi) == q.last_used) {
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError(absl::StrFormat(
          "queue %d: no used entry within %d ms (used.idx=%d)", qi, timeout.count(), q.last_used));
    }
    std::this_thread::yield();
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  const uint64_t slot = q.last_used % q.size;
  absl::StatusOr<VirtqUsedElem> e =
      memory_->ReadObj<VirtqUsedElem>(GuestAddress(q.used + kUsedRingOffset + 8 * slot));
  ++q.last_used;
  const uint32_t isr = ReadReg(mmio::kInterruptStatus);
  if (isr != 0) WriteReg(mmio::kInterruptAck, isr);
  return e;
}

bool GuestDriver::WaitStatus(uint8_t bits, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while ((status() & bits) != bits) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace testing
}  // namespace virtio
}  // namespace vmm
