#include "devices/virtio/block/request.h"

#include "absl/strings/str_format.h"
#include "devices/virtio/queue/buffer_slice.h"

namespace vmm {
namespace virtio {

namespace {

void Refuse(BlkRequest* req, uint8_t status, std::string why) {
  req->immediate_status = status;
  req->error = std::move(why);
}

// Sector range [sector, sector + count) inside the disk, overflow-safe.
bool InDisk(uint64_t sector, uint64_t count, uint64_t capacity) {
  return sector <= capacity && count <= capacity - sector;
}

void CheckData(BlkRequest* req, const BlkLimits& limits) {
  if (req->data.size() > limits.seg_max) {
    return Refuse(req, kBlkSIoErr,
                  absl::StrFormat("%d data segments: more than seg_max=%d", req->data.size(),
                                  limits.seg_max));
  }
  for (const Descriptor& d : req->data) {
    if (d.len > limits.size_max) {
      return Refuse(
          req, kBlkSIoErr,
          absl::StrFormat("data segment len=%d: more than size_max=%d", d.len, limits.size_max));
    }
  }
  // §5.2.6.1: data length is a multiple of 512 for IN and OUT.
  if (req->data_len % kSectorSize != 0) {
    return Refuse(req, kBlkSIoErr,
                  absl::StrFormat("data len=%d: not a multiple of %d", req->data_len, kSectorSize));
  }
  if (!InDisk(req->sector, req->data_len / kSectorSize, limits.capacity_sectors)) {
    return Refuse(
        req, kBlkSIoErr,
        absl::StrFormat("sector=%d + %d sectors: past the end of the disk (%d sectors)",
                        req->sector, req->data_len / kSectorSize, limits.capacity_sectors));
  }
}

void ParseRanges(const GuestMemory& memory, const ChainBuffers& chain, const BlkLimits& limits,
                 BlkRequest* req) {
  const bool discard = req->type == kBlkTDiscard;
  const uint32_t max_seg = discard ? limits.max_discard_seg : limits.max_write_zeroes_seg;
  const uint32_t max_sectors =
      discard ? limits.max_discard_sectors : limits.max_write_zeroes_sectors;
  const uint64_t payload = chain.readable_bytes - sizeof(BlkReqHeader);
  const uint64_t n = payload / sizeof(BlkDiscardWriteZeroes);
  if (payload == 0 || payload % sizeof(BlkDiscardWriteZeroes) != 0 || n > max_seg) {
    return Refuse(req, kBlkSIoErr,
                  absl::StrFormat("discard/write-zeroes payload=%d bytes: must be 1..%d "
                                  "segments of 16 bytes",
                                  payload, max_seg));
  }
  for (uint64_t i = 0; i < n; ++i) {
    BlkDiscardWriteZeroes seg;
    absl::Status s = ReadStream(memory, chain.readable, sizeof(BlkReqHeader) + i * sizeof(seg),
                                absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&seg), sizeof(seg)));
    if (!s.ok()) return Refuse(req, kBlkSIoErr, std::string(s.message()));
    // §5.2.6.2: unmap is only defined for WRITE_ZEROES; other flags reserved.
    const uint32_t allowed = discard ? 0 : kBlkWriteZeroesFlagUnmap;
    if (seg.flags & ~allowed) {
      return Refuse(req, kBlkSUnsupp,
                    absl::StrFormat("discard/write-zeroes flags=0x%x unsupported", seg.flags));
    }
    if (seg.num_sectors > max_sectors) {
      return Refuse(req, kBlkSIoErr,
                    absl::StrFormat("num_sectors=%d: more than %d", seg.num_sectors, max_sectors));
    }
    if (!InDisk(seg.sector, seg.num_sectors, limits.capacity_sectors)) {
      return Refuse(req, kBlkSIoErr,
                    absl::StrFormat("sector=%d + %d sectors: past the end of the disk (%d)",
                                    seg.sector, seg.num_sectors, limits.capacity_sectors));
    }
    req->ranges.push_back(seg);
  }
}

}  // namespace

absl::StatusOr<BlkRequest> ParseBlkRequest(const GuestMemory& memory, const ChainBuffers& chain,
                                           const BlkLimits& limits) {
  BlkRequest req;
  req.head = chain.head;
  // The status byte is the last device-writable byte.
  const Descriptor* last = nullptr;
  for (const Descriptor& d : chain.writable) {
    if (d.len > 0) last = &d;
  }
  if (last == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "blk request head=%d: no device-writable byte for the status (§5.2.6)", chain.head));
  }
  req.status = GuestAddress(last->addr.value() + last->len - 1);
  const uint64_t writable_data = chain.writable_bytes - 1;

  BlkReqHeader hdr;
  if (chain.readable_bytes < sizeof(hdr)) {
    Refuse(
        &req, kBlkSIoErr,
        absl::StrFormat("header: %d readable bytes, need %d", chain.readable_bytes, sizeof(hdr)));
    return req;
  }
  absl::Status s = ReadStream(memory, chain.readable, 0,
                              absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&hdr), sizeof(hdr)));
  if (!s.ok()) {
    Refuse(&req, kBlkSIoErr, std::string(s.message()));
    return req;
  }
  req.type = hdr.type;
  req.sector = hdr.sector;

  switch (hdr.type) {
    case kBlkTIn:
      req.data = SliceDescriptors(chain.writable, 0, writable_data);
      req.data_len = writable_data;
      CheckData(&req, limits);
      break;
    case kBlkTOut:
      if (limits.read_only) {
        Refuse(&req, kBlkSIoErr, "write to a read-only disk");
        break;
      }
      req.data_len = chain.readable_bytes - sizeof(hdr);
      req.data = SliceDescriptors(chain.readable, sizeof(hdr), req.data_len);
      CheckData(&req, limits);
      break;
    case kBlkTFlush:
      break;
    case kBlkTGetId:
      if (writable_data == 0) {
        Refuse(&req, kBlkSIoErr, "GET_ID without a data buffer");
        break;
      }
      req.data_len = std::min<uint64_t>(writable_data, kBlkIdBytes);
      req.data = SliceDescriptors(chain.writable, 0, req.data_len);
      break;
    case kBlkTDiscard:
    case kBlkTWriteZeroes:
      if (limits.read_only) {
        Refuse(&req, kBlkSIoErr, "discard/write-zeroes on a read-only disk");
        break;
      }
      ParseRanges(memory, chain, limits, &req);
      break;
    default:
      Refuse(&req, kBlkSUnsupp, absl::StrFormat("request type=%d unsupported", hdr.type));
      break;
  }
  return req;
}

}  // namespace virtio
}  // namespace vmm
