#include "vmm/fdt/fdt_builder.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace vmm {
namespace {

// Devicetree Specification v0.4, 5.1-5.4.
constexpr uint32_t kMagic = 0xd00dfeed;
constexpr uint32_t kVersion = 17;
constexpr uint32_t kLastCompatibleVersion = 16;
constexpr uint32_t kHeaderSize = 40;
constexpr uint32_t kBeginNode = 1;
constexpr uint32_t kEndNode = 2;
constexpr uint32_t kProp = 3;
constexpr uint32_t kEnd = 9;
// Node names are at most 31 characters before '@' (spec 2.2.1); property
// names at most 31 (2.2.4). We bound whole names generously but finitely.
constexpr size_t kMaxNameLen = 255;

bool ValidNameChars(absl::string_view name) {
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == ',' || c == '.' || c == '_' || c == '+' || c == '-' || c == '@' ||
              c == '#' || c == '?';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void FdtBuilder::Fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
}

void FdtBuilder::AppendU32(std::vector<uint8_t>* out, uint32_t v) {
  out->push_back(static_cast<uint8_t>(v >> 24));
  out->push_back(static_cast<uint8_t>(v >> 16));
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v));
}

void FdtBuilder::Token(uint32_t token) { AppendU32(&structure_, token); }

void FdtBuilder::Pad4() {
  while (structure_.size() % 4 != 0) structure_.push_back(0);
}

void FdtBuilder::AddReservation(uint64_t address, uint64_t size) {
  if (depth_ != 0 || root_closed_ || !structure_.empty()) {
    Fail("AddReservation after the first node");
    return;
  }
  AppendU32(&reservations_, static_cast<uint32_t>(address >> 32));
  AppendU32(&reservations_, static_cast<uint32_t>(address));
  AppendU32(&reservations_, static_cast<uint32_t>(size >> 32));
  AppendU32(&reservations_, static_cast<uint32_t>(size));
}

void FdtBuilder::BeginNode(absl::string_view name) {
  if (root_closed_) return Fail(absl::StrCat("node '", name, "' after the root was closed"));
  if (depth_ == 0 && !name.empty()) return Fail(absl::StrCat("root node named '", name, "'"));
  if (depth_ > 0 && name.empty()) return Fail("empty name for a non-root node");
  if (name.size() > kMaxNameLen || !ValidNameChars(name)) {
    return Fail(absl::StrCat("bad node name '", name, "'"));
  }
  Token(kBeginNode);
  structure_.insert(structure_.end(), name.begin(), name.end());
  structure_.push_back(0);
  Pad4();
  ++depth_;
  node_has_child_ = false;
}

void FdtBuilder::EndNode() {
  if (depth_ == 0) return Fail("EndNode without an open node");
  Token(kEndNode);
  --depth_;
  if (depth_ == 0) root_closed_ = true;
  // The parent has at least this child now: no more properties for it.
  node_has_child_ = true;
}

uint32_t FdtBuilder::StringOffset(absl::string_view name) {
  auto it = string_offsets_.find(name);
  if (it != string_offsets_.end()) return it->second;
  uint32_t offset = static_cast<uint32_t>(strings_.size());
  strings_.append(name.data(), name.size());
  strings_.push_back('\0');
  string_offsets_.emplace(std::string(name), offset);
  return offset;
}

void FdtBuilder::Property(absl::string_view name, const uint8_t* data, size_t len) {
  if (depth_ == 0) return Fail(absl::StrCat("property '", name, "' outside a node"));
  if (node_has_child_) return Fail(absl::StrCat("property '", name, "' after a child node"));
  if (name.empty() || name.size() > kMaxNameLen || !ValidNameChars(name)) {
    return Fail(absl::StrCat("bad property name '", name, "'"));
  }
  if (len > UINT32_MAX) return Fail(absl::StrCat("property '", name, "' too long"));
  Token(kProp);
  AppendU32(&structure_, static_cast<uint32_t>(len));
  AppendU32(&structure_, StringOffset(name));
  structure_.insert(structure_.end(), data, data + len);
  Pad4();
}

void FdtBuilder::PropertyEmpty(absl::string_view name) { Property(name, nullptr, 0); }

void FdtBuilder::PropertyU32(absl::string_view name, uint32_t value) {
  PropertyCells(name, {value});
}

void FdtBuilder::PropertyU64(absl::string_view name, uint64_t value) {
  PropertyCells(name, {static_cast<uint32_t>(value >> 32), static_cast<uint32_t>(value)});
}

void FdtBuilder::PropertyString(absl::string_view name, absl::string_view value) {
  std::string s(value);
  PropertyBytes(name, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.c_str()),
                                          s.size() + 1));
}

void FdtBuilder::PropertyStringList(absl::string_view name,
                                    absl::Span<const std::string> values) {
  std::string joined;
  for (const std::string& v : values) {
    joined.append(v);
    joined.push_back('\0');
  }
  PropertyBytes(name, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(joined.data()),
                                          joined.size()));
}

void FdtBuilder::PropertyCells(absl::string_view name, absl::Span<const uint32_t> cells) {
  std::vector<uint8_t> bytes;
  bytes.reserve(cells.size() * 4);
  for (uint32_t c : cells) AppendU32(&bytes, c);
  Property(name, bytes.data(), bytes.size());
}

void FdtBuilder::PropertyBytes(absl::string_view name, absl::Span<const uint8_t> bytes) {
  Property(name, bytes.data(), bytes.size());
}

absl::StatusOr<std::vector<uint8_t>> FdtBuilder::Finish(uint32_t boot_cpuid) {
  if (!error_.empty()) return absl::FailedPreconditionError(absl::StrCat("fdt: ", error_));
  if (!root_closed_) {
    return absl::FailedPreconditionError(
        absl::StrCat("fdt: ", depth_, " node(s) still open (root not closed)"));
  }
  std::vector<uint8_t> structure = structure_;
  AppendU32(&structure, kEnd);

  // Layout: header | reservation block (8-aligned, terminated by a zero
  // entry) | structure block | strings block.
  const uint32_t rsv_off = 48;  // kHeaderSize rounded up to 8 (spec 5.3).
  const uint32_t rsv_size = static_cast<uint32_t>(reservations_.size()) + 16;
  const uint32_t struct_off = rsv_off + rsv_size;
  const uint32_t struct_size = static_cast<uint32_t>(structure.size());
  const uint32_t strings_off = struct_off + struct_size;
  const uint32_t strings_size = static_cast<uint32_t>(strings_.size());
  const uint32_t total = strings_off + strings_size;

  std::vector<uint8_t> out;
  out.reserve(total);
  for (uint32_t v : {kMagic, total, struct_off, strings_off, rsv_off, kVersion,
                     kLastCompatibleVersion, boot_cpuid, strings_size, struct_size}) {
    AppendU32(&out, v);
  }
  static_assert(kHeaderSize == 40, "header is ten cells");
  out.resize(rsv_off, 0);
  out.insert(out.end(), reservations_.begin(), reservations_.end());
  out.resize(out.size() + 16, 0);
  out.insert(out.end(), structure.begin(), structure.end());
  out.insert(out.end(), strings_.begin(), strings_.end());
  return out;
}

}  // namespace vmm
