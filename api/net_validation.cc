#include "api/net_validation.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vmm::api {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view value, absl::string_view fix) {
  return absl::InvalidArgumentError(absl::StrCat(field, "=", value, ": ", fix));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

absl::Status ValidateBucket(uint64_t rate, uint64_t burst, absl::string_view field,
                            absl::string_view unit) {
  if (rate == 0 && burst != 0) {
    return Invalid(absl::StrCat(field, "_burst"), absl::StrCat(burst),
                   absl::StrCat("a burst needs a rate: set ", field, "_per_second too, or 0"));
  }
  if (rate != 0 && burst != 0 && burst < rate / 1000) {
    // A bucket smaller than a millisecond of rate cannot be refilled by the
    // limiter's timer precisely; the limit would undershoot.
    return Invalid(absl::StrCat(field, "_burst"), absl::StrCat(burst),
                   absl::StrCat("must be 0 (one second of rate) or at least ", rate / 1000, " ",
                                unit, " (1 ms of the rate)"));
  }
  return absl::OkStatus();
}

}  // namespace

bool ParseMac(absl::string_view text, uint8_t out[6]) {
  if (text.size() != 17) return false;
  for (int i = 0; i < 6; ++i) {
    if (i > 0 && text[3 * i - 1] != ':') return false;
    int hi = HexDigit(text[3 * i]);
    int lo = HexDigit(text[3 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

bool IsValidTapName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxTapName || name == "." || name == "..") return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

absl::Status ValidateRateLimit(const v1::RateLimit& limit, absl::string_view field) {
  absl::Status s = ValidateBucket(limit.bytes_per_second(), limit.bytes_burst(),
                                  absl::StrCat(field, ".bytes"), "bytes");
  if (!s.ok()) return s;
  return ValidateBucket(limit.packets_per_second(), limit.packets_burst(),
                        absl::StrCat(field, ".packets"), "packets");
}

absl::Status ValidateNetDevices(const v1::VmSpec& spec) {
  if (spec.nics_size() > kMaxNics) {
    return Invalid("spec.nics", absl::StrCat(spec.nics_size(), " entries"),
                   absl::StrCat("at most ", kMaxNics, " NICs per VM"));
  }
  for (int i = 0; i < spec.nics_size(); ++i) {
    const v1::Nic& nic = spec.nics(i);
    const std::string f = absl::StrCat("spec.nics[", i, "]");
    if (!nic.tap().empty() && !IsValidTapName(nic.tap())) {
      return Invalid(absl::StrCat(f, ".tap"), absl::StrCat("\"", nic.tap(), "\""),
                     absl::StrCat("must be 1..", kMaxTapName,
                                  " characters of [a-zA-Z0-9_.-], or empty for a created tap"));
    }
    for (int j = 0; j < i; ++j) {
      if (!nic.tap().empty() && spec.nics(j).tap() == nic.tap()) {
        return Invalid(absl::StrCat(f, ".tap"), nic.tap(),
                       absl::StrCat("also used by spec.nics[", j, "]; give each NIC its own tap"));
      }
    }
    if (!nic.mac().empty()) {
      uint8_t mac[6];
      if (!ParseMac(nic.mac(), mac)) {
        return Invalid(absl::StrCat(f, ".mac"), nic.mac(),
                       "must be six hex bytes separated by ':', e.g. 52:54:00:12:34:56");
      }
      if (mac[0] & 1) {
        return Invalid(absl::StrCat(f, ".mac"), nic.mac(),
                       "a multicast address (first byte odd); use a unicast one such as "
                       "52:54:00:12:34:56");
      }
      if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0) {
        return Invalid(absl::StrCat(f, ".mac"), nic.mac(), "all zero; give a unicast address");
      }
      for (int j = 0; j < i; ++j) {
        if (absl::AsciiStrToLower(spec.nics(j).mac()) == absl::AsciiStrToLower(nic.mac())) {
          return Invalid(absl::StrCat(f, ".mac"), nic.mac(),
                         absl::StrCat("also used by spec.nics[", j, "]"));
        }
      }
    }
    const uint32_t max_pairs = std::min(kMaxQueuePairs, spec.vcpus());
    if (nic.num_queue_pairs() > max_pairs) {
      return Invalid(absl::StrCat(f, ".num_queue_pairs"), absl::StrCat(nic.num_queue_pairs()),
                     absl::StrCat("must be 0 (one) or 1..", max_pairs, " (at most ",
                                  kMaxQueuePairs, " and at most the VM's vcpus)"));
    }
    if (nic.mtu() != 0 && (nic.mtu() < kMinMtu || nic.mtu() > kMaxMtu)) {
      return Invalid(absl::StrCat(f, ".mtu"), absl::StrCat(nic.mtu()),
                     absl::StrCat("must be 0 (1500) or ", kMinMtu, "..", kMaxMtu));
    }
    absl::Status s = ValidateRateLimit(nic.rx_rate_limit(), absl::StrCat(f, ".rx_rate_limit"));
    if (s.ok()) s = ValidateRateLimit(nic.tx_rate_limit(), absl::StrCat(f, ".tx_rate_limit"));
    if (!s.ok()) return s;
  }
  if (spec.has_vsock()) {
    const v1::Vsock& v = spec.vsock();
    if (v.guest_cid() < 3 || v.guest_cid() > kMaxGuestCid) {
      return Invalid("spec.vsock.guest_cid", absl::StrCat(v.guest_cid()),
                     "must be 3..4294967294 (0-2 are reserved: 2 is the host)");
    }
    if (!v.uds_path().empty()) {
      if (v.uds_path()[0] != '/') {
        return Invalid("spec.vsock.uds_path", v.uds_path(),
                       "must be an absolute path, or empty for <state dir>/vms/<id>/vsock.sock");
      }
      if (v.uds_path().size() > kMaxUdsPath) {
        return Invalid("spec.vsock.uds_path", v.uds_path(),
                       absl::StrFormat("%d bytes; a unix socket path (plus _<port>) must fit in "
                                       "%d: pick a shorter path",
                                       v.uds_path().size(), kMaxUdsPath));
      }
      if (v.uds_path().back() == '/') {
        return Invalid("spec.vsock.uds_path", v.uds_path(),
                       "names a directory; give the socket's file name");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace vmm::api
