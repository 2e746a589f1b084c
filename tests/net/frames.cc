#include "tests/net/frames.h"

#include <cstring>

namespace vmm {
namespace net_testing {

namespace {

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Put32(uint8_t* p, uint32_t v) {
  Put16(p, static_cast<uint16_t>(v >> 16));
  Put16(p + 2, static_cast<uint16_t>(v));
}
uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t Get32(const uint8_t* p) { return (uint32_t{Get16(p)} << 16) | Get16(p + 2); }

std::vector<uint8_t> Ipv4(const Mac& src_mac, const Mac& dst_mac, uint32_t src_ip,
                          uint32_t dst_ip, uint8_t proto, size_t l4_len) {
  std::vector<uint8_t> f(14 + 20 + l4_len);
  std::memcpy(&f[0], dst_mac.data(), 6);
  std::memcpy(&f[6], src_mac.data(), 6);
  Put16(&f[12], 0x0800);
  uint8_t* ip = &f[14];
  ip[0] = 0x45;
  Put16(ip + 2, static_cast<uint16_t>(20 + l4_len));
  Put16(ip + 6, 0x4000);  // DF
  ip[8] = 64;
  ip[9] = proto;
  Put32(ip + 12, src_ip);
  Put32(ip + 16, dst_ip);
  Put16(ip + 10, InetChecksum(ip, 20));
  return f;
}

}  // namespace

uint16_t InetChecksum(const uint8_t* data, size_t len, uint32_t sum) {
  uint64_t s = sum;
  for (size_t i = 0; i + 1 < len; i += 2) s += Get16(data + i);
  if (len & 1) s += uint32_t{data[len - 1]} << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

std::vector<uint8_t> BuildUdp(const Mac& src_mac, const Mac& dst_mac, uint32_t src_ip,
                              uint32_t dst_ip, uint16_t sport, uint16_t dport,
                              const std::vector<uint8_t>& payload, bool partial_csum) {
  const size_t ulen = 8 + payload.size();
  std::vector<uint8_t> f = Ipv4(src_mac, dst_mac, src_ip, dst_ip, 17, ulen);
  if (ulen > 0xffff) {
    Put16(&f[14 + 2], 0);  // GSO super-frame: the kernel rewrites lengths.
  }
  uint8_t* u = &f[34];
  Put16(u, sport);
  Put16(u + 2, dport);
  Put16(u + 4, static_cast<uint16_t>(ulen));
  if (!payload.empty()) std::memcpy(u + 8, payload.data(), payload.size());
  if (partial_csum) {
    // Pseudo-header sum, not inverted (what Linux puts for CHECKSUM_PARTIAL).
    uint64_t s = (src_ip >> 16) + (src_ip & 0xffff) + (dst_ip >> 16) + (dst_ip & 0xffff) + 17 +
                 (ulen & 0xffff);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    Put16(u + 6, static_cast<uint16_t>(s));
  }
  return f;
}

std::vector<uint8_t> BuildIcmpEcho(const Mac& src_mac, const Mac& dst_mac, uint32_t src_ip,
                                   uint32_t dst_ip, uint16_t id, uint16_t seq,
                                   const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> f = Ipv4(src_mac, dst_mac, src_ip, dst_ip, 1, 8 + payload.size());
  uint8_t* c = &f[34];
  c[0] = 8;
  Put16(c + 4, id);
  Put16(c + 6, seq);
  if (!payload.empty()) std::memcpy(c + 8, payload.data(), payload.size());
  Put16(c + 2, InetChecksum(c, 8 + payload.size()));
  return f;
}

std::optional<Udp> ParseUdp(const std::vector<uint8_t>& f) {
  if (f.size() < 42 || Get16(&f[12]) != 0x0800 || f[14 + 9] != 17) return std::nullopt;
  const size_t ihl = (f[14] & 0xf) * 4u;
  if (f.size() < 14 + ihl + 8) return std::nullopt;
  const uint8_t* u = &f[14 + ihl];
  const size_t ulen = Get16(u + 4);
  if (ulen < 8 || 14 + ihl + ulen > f.size()) return std::nullopt;
  Udp r;
  r.src_ip = Get32(&f[26]);
  r.dst_ip = Get32(&f[30]);
  r.sport = Get16(u);
  r.dport = Get16(u + 2);
  r.payload.assign(u + 8, u + ulen);
  return r;
}

std::optional<Icmp> ParseIcmp(const std::vector<uint8_t>& f) {
  if (f.size() < 42 || Get16(&f[12]) != 0x0800 || f[14 + 9] != 1) return std::nullopt;
  const size_t ihl = (f[14] & 0xf) * 4u;
  const size_t total = Get16(&f[16]);
  if (total < ihl + 8 || 14 + total > f.size()) return std::nullopt;
  const uint8_t* c = &f[14 + ihl];
  Icmp r;
  r.type = c[0];
  r.id = Get16(c + 4);
  r.seq = Get16(c + 6);
  r.payload.assign(c + 8, &f[14 + total]);
  return r;
}

}  // namespace net_testing
}  // namespace vmm
