#include "vmm/machine/x86/pci_aml.h"

#include <initializer_list>

namespace vmm {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint8_t kZeroOp = 0x00;
constexpr uint8_t kOneOp = 0x01;
constexpr uint8_t kNameOp = 0x08;
constexpr uint8_t kBytePrefix = 0x0a;
constexpr uint8_t kWordPrefix = 0x0b;
constexpr uint8_t kDWordPrefix = 0x0c;
constexpr uint8_t kScopeOp = 0x10;
constexpr uint8_t kBufferOp = 0x11;
constexpr uint8_t kPackageOp = 0x12;
constexpr uint8_t kExtOpPrefix = 0x5b;
constexpr uint8_t kDeviceOp = 0x82;

void Append(Bytes* out, const Bytes& more) { out->insert(out->end(), more.begin(), more.end()); }

void Put16(Bytes* out, uint32_t v) {
  out->push_back(static_cast<uint8_t>(v));
  out->push_back(static_cast<uint8_t>(v >> 8));
}
void Put32(Bytes* out, uint32_t v) {
  Put16(out, v & 0xffff);
  Put16(out, v >> 16);
}

// The shortest integer encoding (§20.2.3 ComputationalData).
Bytes Integer(uint32_t v) {
  if (v == 0) return {kZeroOp};
  if (v == 1) return {kOneOp};
  Bytes b;
  if (v <= 0xff) {
    b = {kBytePrefix, static_cast<uint8_t>(v)};
  } else if (v <= 0xffff) {
    b = {kWordPrefix};
    Put16(&b, v);
  } else {
    b = {kDWordPrefix};
    Put32(&b, v);
  }
  return b;
}

// Name (NAME, value) with a 4-character NameSeg.
Bytes Name(const char (&seg)[5], const Bytes& value) {
  Bytes b = {kNameOp, static_cast<uint8_t>(seg[0]), static_cast<uint8_t>(seg[1]),
             static_cast<uint8_t>(seg[2]), static_cast<uint8_t>(seg[3])};
  Append(&b, value);
  return b;
}

// Op PkgLength body.
Bytes WithPkgLength(std::initializer_list<uint8_t> op, const Bytes& body) {
  Bytes b(op);
  Append(&b, AmlPkgLength(body.size()));
  Append(&b, body);
  return b;
}

Bytes Package(const std::vector<Bytes>& elements) {
  Bytes body = {static_cast<uint8_t>(elements.size())};  // NumElements (<= 255).
  for (const Bytes& e : elements) Append(&body, e);
  return WithPkgLength({kPackageOp}, body);
}

Bytes Buffer(const Bytes& data) {
  Bytes body = Integer(static_cast<uint32_t>(data.size()));
  Append(&body, data);
  return WithPkgLength({kBufferOp}, body);
}

// Word Address Space Descriptor (§6.4.3.5.3): producer, MinFixed, MaxFixed.
Bytes WordAddressSpace(uint8_t type, uint8_t type_flags, uint32_t min, uint32_t max) {
  Bytes b = {0x88, 13, 0, type, 0x0c, type_flags};
  Put16(&b, 0);  // Granularity.
  Put16(&b, min);
  Put16(&b, max);
  Put16(&b, 0);  // Translation offset.
  Put16(&b, max - min + 1);
  return b;
}

Bytes CurrentResources(const PciHostBridgeConfig& c) {
  Bytes r;
  Append(&r, WordAddressSpace(2, 0, 0, 0));  // Bus numbers 0..0.
  // I/O port descriptor (§6.4.2.5): 16-bit decode, 0xCF8..0xCFF.
  Append(&r, {0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08});
  Append(&r, WordAddressSpace(1, 0x03, 0x0000, 0x0cf7));  // EntireRange.
  Append(&r, WordAddressSpace(1, 0x03, 0x0d00, 0xffff));
  // DWord Address Space Descriptor (§6.4.3.5.2), memory, read-write,
  // non-cacheable.
  Bytes mem = {0x87, 23, 0, 0, 0x0c, 0x01};
  const uint32_t base = static_cast<uint32_t>(c.window_base);
  const uint32_t size = static_cast<uint32_t>(c.window_size);
  Put32(&mem, 0);  // Granularity.
  Put32(&mem, base);
  Put32(&mem, base + size - 1);
  Put32(&mem, 0);  // Translation offset.
  Put32(&mem, size);
  Append(&r, mem);
  Append(&r, {0x79, 0x00});  // End tag, checksum 0 = "ignore".
  return Buffer(r);
}

Bytes RoutingTable(const PciHostBridgeConfig& c) {
  std::vector<Bytes> entries;
  for (uint32_t slot = 1; slot < 32; ++slot) {
    for (uint32_t pin = 0; pin < 4; ++pin) {
      // Package { Address (slot << 16 | 0xFFFF: any function), Pin, Source
      // (0: SourceIndex is a GSI), SourceIndex } (§6.2.13).
      entries.push_back(Package({Integer((slot << 16) | 0xffff), Integer(pin), Integer(0),
                                 Integer(c.first_intx_gsi + (slot - 1 + pin) % 8)}));
    }
  }
  return Package(entries);  // 124 elements: NumElements fits its byte.
}

// The ECAM as a motherboard resource: Memory32Fixed (§6.4.3.4), read-write.
Bytes EcamResources(uint64_t ecam_base) {
  Bytes r = {0x86, 9, 0, 0x01};
  Put32(&r, static_cast<uint32_t>(ecam_base));
  Put32(&r, 1u << 20);  // Bus 0 only.
  Append(&r, {0x79, 0x00});
  return Buffer(r);
}

}  // namespace

std::vector<uint8_t> AmlPkgLength(size_t content) {
  // The encoded length counts the PkgLength bytes themselves.
  if (content + 1 < 0x40) return {static_cast<uint8_t>(content + 1)};
  for (size_t extra = 1; extra <= 3; ++extra) {
    const size_t total = content + 1 + extra;
    if (total < (size_t{1} << (4 + 8 * extra))) {
      Bytes b = {static_cast<uint8_t>((extra << 6) | (total & 0x0f))};
      for (size_t i = 0; i < extra; ++i) b.push_back(static_cast<uint8_t>(total >> (4 + 8 * i)));
      return b;
    }
  }
  return {};  // > 256 MiB of AML: not produced here.
}

std::vector<uint8_t> PciHostBridgeAml(const PciHostBridgeConfig& config) {
  Bytes device;
  device.insert(device.end(), {'P', 'C', 'I', '0'});
  Append(&device, Name("_HID", {kDWordPrefix, 0x41, 0xd0, 0x0a, 0x03}));  // EisaId PNP0A03.
  Append(&device, Name("_UID", Integer(0)));
  Append(&device, Name("_BBN", Integer(0)));
  Append(&device, Name("_CRS", CurrentResources(config)));
  Append(&device, Name("_PRT", RoutingTable(config)));
  Bytes scope = {'\\', '_', 'S', 'B', '_'};
  Append(&scope, WithPkgLength({kExtOpPrefix, kDeviceOp}, device));
  if (config.ecam_base != 0) {
    Bytes mres = {'M', 'R', 'E', 'S'};
    Append(&mres, Name("_HID", {kDWordPrefix, 0x41, 0xd0, 0x0c, 0x02}));  // EisaId PNP0C02.
    Append(&mres, Name("_UID", Integer(1)));
    Append(&mres, Name("_CRS", EcamResources(config.ecam_base)));
    Append(&scope, WithPkgLength({kExtOpPrefix, kDeviceOp}, mres));
  }
  return WithPkgLength({kScopeOp}, scope);
}

}  // namespace vmm
