#ifndef DEVICES_VIRTIO_CORE_VIRTIO_SPEC_H_
#define DEVICES_VIRTIO_CORE_VIRTIO_SPEC_H_

#include <cstdint>

namespace vmm {
namespace virtio {

// §2.1 Device Status Field.
inline constexpr uint8_t kStatusAcknowledge = 1;
inline constexpr uint8_t kStatusDriver = 2;
inline constexpr uint8_t kStatusDriverOk = 4;
inline constexpr uint8_t kStatusFeaturesOk = 8;
inline constexpr uint8_t kStatusDeviceNeedsReset = 64;
inline constexpr uint8_t kStatusFailed = 128;

// §6 Reserved Feature Bits.
inline constexpr int kFIndirectDesc = 28;
inline constexpr int kFEventIdx = 29;
inline constexpr int kFVersion1 = 32;
inline constexpr int kFAccessPlatform = 33;

inline constexpr uint64_t Bit(int n) { return uint64_t{1} << n; }

// §5 Device Types.
inline constexpr uint32_t kDeviceIdNet = 1;
inline constexpr uint32_t kDeviceIdBlock = 2;
inline constexpr uint32_t kDeviceIdVsock = 19;

}  // namespace virtio
}  // namespace vmm

#endif  // DEVICES_VIRTIO_CORE_VIRTIO_SPEC_H_
