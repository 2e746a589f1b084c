#ifndef VMM_FDT_FDT_BUILDER_H_
#define VMM_FDT_FDT_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace vmm {

// Builds a flattened device tree blob, format version 17 (Devicetree
// Specification v0.4, chapter 5): header, memory reservation block,
// structure block (FDT_BEGIN_NODE / FDT_PROP / FDT_END_NODE / FDT_END) and a
// strings block in which each property name is stored once. All cells are
// big-endian. Misuse (unbalanced nodes, a property outside a node or after a
// child node, bad names) is recorded and reported by Finish(), so call sites
// stay flat.
class FdtBuilder {
 public:
  FdtBuilder() = default;

  // Memory reservation entries; only before the first BeginNode.
  void AddReservation(uint64_t address, uint64_t size);

  // The root node is BeginNode("").
  void BeginNode(absl::string_view name);
  void EndNode();

  void PropertyEmpty(absl::string_view name);
  void PropertyU32(absl::string_view name, uint32_t value);
  void PropertyU64(absl::string_view name, uint64_t value);  // Two cells.
  void PropertyString(absl::string_view name, absl::string_view value);
  void PropertyStringList(absl::string_view name, absl::Span<const std::string> values);
  void PropertyCells(absl::string_view name, absl::Span<const uint32_t> cells);
  void PropertyBytes(absl::string_view name, absl::Span<const uint8_t> bytes);

  // A fresh phandle value (1, 2, ...) for "phandle" properties.
  uint32_t AllocatePhandle() { return next_phandle_++; }

  // Closes the tree and returns the blob. Fails on any recorded misuse or if
  // nodes are still open.
  absl::StatusOr<std::vector<uint8_t>> Finish(uint32_t boot_cpuid = 0);

 private:
  void Token(uint32_t token);
  void AppendU32(std::vector<uint8_t>* out, uint32_t v);
  void Pad4();
  uint32_t StringOffset(absl::string_view name);
  void Property(absl::string_view name, const uint8_t* data, size_t len);
  void Fail(std::string message);

  std::vector<uint8_t> reservations_;  // (address, size) big-endian pairs.
  std::vector<uint8_t> structure_;
  std::string strings_;
  absl::flat_hash_map<std::string, uint32_t> string_offsets_;
  int depth_ = 0;
  bool root_closed_ = false;
  bool node_has_child_ = false;  // Properties must precede child nodes.
  uint32_t next_phandle_ = 1;
  std::string error_;  // First misuse, if any.
};

}  // namespace vmm

#endif  // VMM_FDT_FDT_BUILDER_H_
