#ifndef DEVICES_VIRTIO_BLOCK_BLK_SPEC_H_
#define DEVICES_VIRTIO_BLOCK_BLK_SPEC_H_

#include <cstdint>

namespace vmm {
namespace virtio {

// virtio-blk, virtio 1.2 §5.2.

// §5.2.3 Feature bits.
inline constexpr int kBlkFSizeMax = 1;
inline constexpr int kBlkFSegMax = 2;
inline constexpr int kBlkFGeometry = 4;
inline constexpr int kBlkFRo = 5;
inline constexpr int kBlkFBlkSize = 6;
inline constexpr int kBlkFFlush = 9;
inline constexpr int kBlkFTopology = 10;
inline constexpr int kBlkFConfigWce = 11;
inline constexpr int kBlkFMq = 12;
inline constexpr int kBlkFDiscard = 13;
inline constexpr int kBlkFWriteZeroes = 14;

// §5.2.6 request types and status values.
inline constexpr uint32_t kBlkTIn = 0;
inline constexpr uint32_t kBlkTOut = 1;
inline constexpr uint32_t kBlkTFlush = 4;
inline constexpr uint32_t kBlkTGetId = 8;
inline constexpr uint32_t kBlkTDiscard = 11;
inline constexpr uint32_t kBlkTWriteZeroes = 13;

inline constexpr uint8_t kBlkSOk = 0;
inline constexpr uint8_t kBlkSIoErr = 1;
inline constexpr uint8_t kBlkSUnsupp = 2;

inline constexpr uint64_t kSectorSize = 512;
inline constexpr uint32_t kBlkIdBytes = 20;  // VIRTIO_BLK_ID_BYTES

// §5.2.6 struct virtio_blk_req header (type, reserved, sector).
struct BlkReqHeader {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
};
static_assert(sizeof(BlkReqHeader) == 16, "virtio_blk_req header is 16 bytes");

// §5.2.6 struct virtio_blk_discard_write_zeroes.
struct BlkDiscardWriteZeroes {
  uint64_t sector;
  uint32_t num_sectors;
  uint32_t flags;  // bit 0: unmap (WRITE_ZEROES only)
};
static_assert(sizeof(BlkDiscardWriteZeroes) == 16, "discard segment is 16 bytes");
inline constexpr uint32_t kBlkWriteZeroesFlagUnmap = 1;

// §5.2.4 struct virtio_blk_config.
#pragma pack(push, 1)
struct BlkConfig {
  uint64_t capacity;  // in 512-byte sectors
  uint32_t size_max;
  uint32_t seg_max;
  uint16_t geometry_cylinders;
  uint8_t geometry_heads;
  uint8_t geometry_sectors;
  uint32_t blk_size;
  uint8_t physical_block_exp;
  uint8_t alignment_offset;
  uint16_t min_io_size;
  uint32_t opt_io_size;
  uint8_t writeback;
  uint8_t unused0;
  uint16_t num_queues;
  uint32_t max_discard_sectors;
  uint32_t max_discard_seg;
  uint32_t discard_sector_alignment;
  uint32_t max_write_zeroes_sectors;
  uint32_t max_write_zeroes_seg;
  uint8_t write_zeroes_may_unmap;
  uint8_t unused1[3];
};
#pragma pack(pop)
static_assert(sizeof(BlkConfig) == 60, "virtio_blk_config is 60 bytes");

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_BLOCK_BLK_SPEC_H_
