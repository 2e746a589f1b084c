#ifndef TCG_X86_64_BACKEND_H_
#define TCG_X86_64_BACKEND_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "tcg/runtime/executor.h"
#include "tcg/x86_64/code_buffer.h"

namespace tcg::x86_64 {

// Native backend: compiles each IR block to an x86-64 function
// `uint64_t fn(ExecContext*)` returning 0 when the block ran to its terminal
// (next pc stored in the guest state) or 1 when it left early with
// ctx->pending filled. Guest memory accesses call into the SoftMmu; barriers
// become MFENCE only where store->load order is required (x86-TSO keeps
// every other order: Intel SDM vol. 3A, 8.2.2). Thread-safe.
class X86Backend : public Backend {
 public:
  // `pc_offset`: where the guest PC lives in the guest state block.
  // `chaining`: direct jumps between blocks (on unless measuring without).
  explicit X86Backend(uint32_t pc_offset, bool chaining = true)
      : pc_offset_(pc_offset), chaining_(chaining) {}

  absl::Status Compile(TranslationBlock& tb) override;
  ExitInfo Execute(const TranslationBlock& tb, ExecContext& ctx) override;
  void Link(void* slot, const TranslationBlock& target, uint64_t link_generation) override;
  const void* ChainEntry(const TranslationBlock& tb) override;

  // Emits the machine code for `block` (exposed for tests and dumps).
  static absl::StatusOr<std::vector<uint8_t>> Emit(const ir::Block& block, uint32_t pc_offset);

 private:
  const uint32_t pc_offset_;
  const bool chaining_;
  CodeAllocator allocator_;
};

}  // namespace tcg::x86_64

#endif  // TCG_X86_64_BACKEND_H_
