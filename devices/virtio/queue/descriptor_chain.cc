#include "devices/virtio/queue/descriptor_chain.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "devices/virtio/queue/virtio_ring.h"

namespace vmm {
namespace virtio {

DescriptorChain::DescriptorChain(const GuestMemory* memory, GuestAddress desc_table,
                                 uint16_t queue_size, uint16_t head, bool indirect_allowed,
                                 uint64_t max_total_len)
    : memory_(memory),
      queue_size_(queue_size),
      head_(head),
      indirect_allowed_(indirect_allowed),
      max_total_len_(max_total_len),
      table_(desc_table),
      table_entries_(queue_size),
      index_(head) {}

absl::Status DescriptorChain::Fail(absl::Status status) {
  error_ = status;
  done_ = true;
  return status;
}

absl::StatusOr<std::optional<Descriptor>> DescriptorChain::Next() {
  if (!error_.ok()) return error_;
  // At most two rounds: one to follow an indirect descriptor, one to read the
  // first entry of its table.
  for (int round = 0; round < 2; ++round) {
    if (done_) return std::optional<Descriptor>();
    if (index_ >= table_entries_) {
      return Fail(absl::OutOfRangeError(absl::StrFormat(
          "chain head=%d: descriptor index=%d outside the %s table of %d entries", head_, index_,
          in_indirect_ ? "indirect" : "descriptor", table_entries_)));
    }
    if (hops_ >= table_entries_) {
      return Fail(absl::OutOfRangeError(
          absl::StrFormat("chain head=%d: longer than %d descriptors (loop or over-long chain)",
                          head_, table_entries_)));
    }
    ++hops_;
    // table_ + 16 * index_ was checked in range when the table was accepted.
    GuestAddress at(table_.value() + 16ull * index_);
    absl::StatusOr<VirtqDesc> desc = memory_->ReadObj<VirtqDesc>(at);
    if (!desc.ok()) return Fail(desc.status());

    if (desc->flags & kVirtqDescFIndirect) {
      if (in_indirect_) {
        return Fail(absl::InvalidArgumentError(absl::StrFormat(
            "chain head=%d: indirect descriptor inside an indirect table (§2.7.5.3.1)", head_)));
      }
      if (!indirect_allowed_) {
        return Fail(absl::InvalidArgumentError(absl::StrFormat(
            "chain head=%d: indirect descriptor but VIRTIO_F_INDIRECT_DESC not negotiated",
            head_)));
      }
      if (desc->flags & kVirtqDescFNext) {
        return Fail(absl::InvalidArgumentError(absl::StrFormat(
            "chain head=%d: indirect descriptor with F_NEXT set (§2.7.5.3.1)", head_)));
      }
      if (desc->len == 0 || desc->len % 16 != 0 || desc->len / 16 > queue_size_) {
        return Fail(absl::InvalidArgumentError(absl::StrFormat(
            "chain head=%d: indirect table len=%d must be a non-zero multiple of 16 of at "
            "most %d entries",
            head_, desc->len, queue_size_)));
      }
      if (!memory_->IsValidRange(GuestAddress(desc->addr), desc->len)) {
        return Fail(absl::OutOfRangeError(
            absl::StrFormat("chain head=%d: indirect table addr=0x%x len=%d outside guest RAM",
                            head_, desc->addr, desc->len)));
      }
      table_ = GuestAddress(desc->addr);
      table_entries_ = desc->len / 16;
      index_ = 0;
      hops_ = 0;
      in_indirect_ = true;
      continue;
    }

    const bool writable = (desc->flags & kVirtqDescFWrite) != 0;
    if (!writable && seen_writable_) {
      return Fail(absl::InvalidArgumentError(absl::StrFormat(
          "chain head=%d: device-readable descriptor after a device-writable one (§2.7.4.2)",
          head_)));
    }
    seen_writable_ |= writable;
    total_len_ += desc->len;  // At most 2^32 * 2^16 hops: cannot wrap a u64.
    if (total_len_ > max_total_len_) {
      return Fail(absl::InvalidArgumentError(
          absl::StrFormat("chain head=%d: total length=%d exceeds the limit %d", head_, total_len_,
                          max_total_len_)));
    }
    if (desc->len > 0 && !memory_->IsValidRange(GuestAddress(desc->addr), desc->len)) {
      return Fail(absl::OutOfRangeError(
          absl::StrFormat("chain head=%d: buffer addr=0x%x len=%d outside guest RAM", head_,
                          desc->addr, desc->len)));
    }
    if (desc->flags & kVirtqDescFNext) {
      index_ = desc->next;
    } else {
      done_ = true;
    }
    return std::optional<Descriptor>(Descriptor{GuestAddress(desc->addr), desc->len, writable});
  }
  return Fail(absl::InternalError("descriptor chain: unreachable"));
}

absl::StatusOr<ChainBuffers> CollectChain(DescriptorChain& chain) {
  ChainBuffers out;
  out.head = chain.head();
  for (;;) {
    absl::StatusOr<std::optional<Descriptor>> d = chain.Next();
    if (!d.ok()) return d.status();
    if (!d->has_value()) break;
    if ((*d)->writable) {
      out.writable_bytes += (*d)->len;
      out.writable.push_back(**d);
    } else {
      out.readable_bytes += (*d)->len;
      out.readable.push_back(**d);
    }
  }
  return out;
}

}  // namespace virtio
}  // namespace vmm
