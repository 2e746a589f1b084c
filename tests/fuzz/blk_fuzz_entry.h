#ifndef TESTS_FUZZ_BLK_FUZZ_ENTRY_H_
#define TESTS_FUZZ_BLK_FUZZ_ENTRY_H_

#include <cstddef>
#include <cstdint>

namespace vmm {
namespace fuzz {

// One fuzz iteration over the virtqueue parser and the virtio-blk request
// path, through the real virtio-mmio transport, BlockDevice and io_uring:
//   byte 0: bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bits 2..4 log2(queue size)
//           (1..16), bit 5 a second queue
//   bytes 1..: copied into guest RAM at kFuzzRingBase, where the descriptor
//           table, avail ring, used ring and buffers of queue 0 live.
// The driver negotiates, sets the queue up and sets DRIVER_OK; the device
// worker serves every available chain once (activation processes the
// queues before it looks at its stop signal) and the reset that follows
// drains in-flight I/O. Returns 0 (libFuzzer convention).
int BlkFuzzOneInput(const uint8_t* data, size_t size);

// After an input: used.idx of queue 0 and the device status before the
// final reset (for the replay test's assertions).
struct BlkFuzzOutcome {
  uint16_t used_idx = 0;
  uint8_t status = 0;
};
BlkFuzzOutcome BlkFuzzLastOutcome();

// Same as BlkFuzzOneInput, but before the reset waits (up to 2 s) until the
// device either returned every chain the input made available or set
// DEVICE_NEEDS_RESET, so the outcome is deterministic. For replay tests.
void BlkFuzzReplay(const uint8_t* data, size_t size);

inline constexpr uint64_t kFuzzRamBytes = 256 * 1024;
inline constexpr uint64_t kFuzzRingBase = 0x1000;
inline constexpr uint64_t kFuzzDesc = 0x1000;   // 16 entries: 256 bytes
inline constexpr uint64_t kFuzzAvail = 0x1100;  // 38 bytes
inline constexpr uint64_t kFuzzUsed = 0x1200;   // 134 bytes
inline constexpr uint64_t kFuzzData = 0x1300;

}  // namespace fuzz
}  // namespace vmm

#endif  // TESTS_FUZZ_BLK_FUZZ_ENTRY_H_
