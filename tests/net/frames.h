#ifndef TESTS_NET_FRAMES_H_
#define TESTS_NET_FRAMES_H_

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace vmm {
namespace net_testing {

using Mac = std::array<uint8_t, 6>;

// Internet checksum (RFC 1071) over `data`, starting from `sum`.
uint16_t InetChecksum(const uint8_t* data, size_t len, uint32_t sum = 0);

// Ethernet + IPv4 + UDP (UDP checksum 0 = none, RFC 768), or with
// `partial_csum` the pseudo-header sum in the checksum field for
// NEEDS_CSUM (the device/kernel completes it).
std::vector<uint8_t> BuildUdp(const Mac& src_mac, const Mac& dst_mac, uint32_t src_ip,
                              uint32_t dst_ip, uint16_t sport, uint16_t dport,
                              const std::vector<uint8_t>& payload, bool partial_csum = false);
// Ethernet + IPv4 + ICMP echo request.
std::vector<uint8_t> BuildIcmpEcho(const Mac& src_mac, const Mac& dst_mac, uint32_t src_ip,
                                   uint32_t dst_ip, uint16_t id, uint16_t seq,
                                   const std::vector<uint8_t>& payload);

struct Udp {
  uint32_t src_ip, dst_ip;
  uint16_t sport, dport;
  std::vector<uint8_t> payload;
};
std::optional<Udp> ParseUdp(const std::vector<uint8_t>& frame);
// The ICMP type and payload of an IPv4 ICMP echo frame.
struct Icmp {
  uint8_t type;
  uint16_t id, seq;
  std::vector<uint8_t> payload;
};
std::optional<Icmp> ParseIcmp(const std::vector<uint8_t>& frame);

inline constexpr uint32_t Ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d;
}

}  // namespace net_testing
}  // namespace vmm

#endif  // TESTS_NET_FRAMES_H_
