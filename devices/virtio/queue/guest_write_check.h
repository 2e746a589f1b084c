#ifndef DEVICES_VIRTIO_QUEUE_GUEST_WRITE_CHECK_H_
#define DEVICES_VIRTIO_QUEUE_GUEST_WRITE_CHECK_H_

// Test support (testonly): checks that a device writes guest RAM only where
// the driver let it. A RawQueue places chains of any shape (hostile ones
// too) in a queue the test's driver set up, without publishing them, so a
// snapshot of RAM can be taken before the device may see them; a WriteMap
// lists the bytes the device may change (the used ring, the first `len`
// bytes of each used chain's device-writable buffers) and reports any other
// byte that differs from the snapshot.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "devices/virtio/queue/virtio_ring.h"
#include "vmm/memory/guest_address.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {
namespace virtio {
namespace testing {

struct RawBuf {
  GuestAddress addr;
  uint32_t len = 0;
  bool writable = false;
};

// A named chain of buffers (`indirect`: placed through an indirect table).
struct ChainShape {
  std::string name;
  std::vector<RawBuf> bufs;
  bool indirect = false;
  // Device-writable bytes of the chain.
  uint64_t writable() const {
    uint64_t n = 0;
    for (const RawBuf& b : bufs) n += b.writable ? b.len : 0;
    return n;
  }
};

// The driver side of one split queue whose rings are at known addresses.
class RawQueue {
 public:
  RawQueue(GuestMemory* memory, uint16_t size, GuestAddress desc, GuestAddress avail,
           GuestAddress used, uint16_t avail_idx = 0, uint16_t next_slot = 0,
           uint16_t last_used = 0)
      : memory_(memory),
        size_(size),
        desc_(desc),
        avail_(avail),
        used_(used),
        avail_idx_(avail_idx),
        placed_idx_(avail_idx),
        next_slot_(next_slot),
        last_used_(last_used) {}

  // Writes the chain's descriptors (into the indirect table at `table`, if
  // given, behind one main descriptor) and its avail ring entry; returns the
  // head. The device sees it only after Publish().
  uint16_t Place(const std::vector<RawBuf>& bufs,
                 std::optional<GuestAddress> table = std::nullopt);
  // Stores avail.idx for everything placed.
  void Publish();

  uint16_t UsedIdx() const;
  // Used entries not yet taken, in order (advances the driver's index).
  std::vector<VirtqUsedElem> TakeUsed();

  GuestAddress used() const { return used_; }
  uint64_t used_bytes() const { return UsedRingBytes(size_); }

 private:
  GuestMemory* memory_;
  uint16_t size_;
  GuestAddress desc_, avail_, used_;
  uint16_t avail_idx_;
  uint16_t placed_idx_;
  uint16_t next_slot_;
  uint16_t last_used_;
};

// Fills [start, start + len) with a pattern no device writes by accident
// (varies with the address, never a run of zeros).
void FillCanary(GuestMemory& memory, GuestAddress start, uint64_t len);

// A copy of all of [start, start + len).
std::vector<uint8_t> Snapshot(const GuestMemory& memory, GuestAddress start, uint64_t len);

// Bytes the device may change.
class WriteMap {
 public:
  void Allow(GuestAddress addr, uint64_t len) { ranges_.emplace_back(addr.value(), len); }
  // The first `len` bytes of the device-writable buffers of `bufs`, in
  // chain order (device-readable ones are skipped: never writable).
  void AllowWritablePrefix(const std::vector<RawBuf>& bufs, uint64_t len);
  // "" if every byte of [start, start + before.size()) outside the allowed
  // ranges equals `before`; else the first differing ranges.
  std::string Diff(const GuestMemory& memory, GuestAddress start,
                   const std::vector<uint8_t>& before) const;

 private:
  std::vector<std::pair<uint64_t, uint64_t>> ranges_;  // (addr, len)
};

// The first `len` bytes of the device-writable buffers of `bufs`.
std::vector<uint8_t> ReadWritablePrefix(const GuestMemory& memory, const std::vector<RawBuf>& bufs,
                                        uint64_t len);

}  // namespace testing
}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_QUEUE_GUEST_WRITE_CHECK_H_
