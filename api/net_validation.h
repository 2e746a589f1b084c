#ifndef API_NET_VALIDATION_H_
#define API_NET_VALIDATION_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/vmm/v1/vmm.pb.h"

namespace vmm::api {

// Limits for VmSpec.nics and VmSpec.vsock, stated once here.
inline constexpr int kMaxNics = 8;
inline constexpr uint32_t kMaxQueuePairs = 16;  // And never more than vcpus.
inline constexpr uint32_t kMinMtu = 68;         // RFC 791: the IPv4 minimum.
inline constexpr uint32_t kMaxMtu = 9000;       // Jumbo frames.
inline constexpr size_t kMaxTapName = 15;       // IFNAMSIZ - 1.
// sockaddr_un.sun_path holds 107 bytes; guest->host connections use
// "<uds_path>_<port>", up to 11 more.
inline constexpr size_t kMaxUdsPath = 107 - 11;
// The Linux driver keeps CIDs in 32 bits; U32_MAX is VMADDR_CID_ANY.
inline constexpr uint64_t kMaxGuestCid = 0xfffffffeu;

// spec.nics and spec.vsock: INVALID_ARGUMENT naming the field, the value and
// the fix, e.g. "spec.nics[0].mac=01:00:00:00:00:01: a multicast address;
// the first byte must be even". Does not look at other VMs (the CID's
// uniqueness is the manager's check).
absl::Status ValidateNetDevices(const v1::VmSpec& spec);

// A rate limit on its own (also for UpdateNic). `field` names it.
absl::Status ValidateRateLimit(const v1::RateLimit& limit, absl::string_view field);

// "52:54:00:12:34:56" (hex, either case): true and the bytes if so.
bool ParseMac(absl::string_view text, uint8_t out[6]);

// [a-zA-Z0-9_.-]{1,15}, not "." or "..": what `ip link` accepts and a
// shell word needs no quoting for.
bool IsValidTapName(absl::string_view name);

}  // namespace vmm::api

#endif  // API_NET_VALIDATION_H_
