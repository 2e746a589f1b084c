#ifndef TCG_RUNTIME_TRANSLATION_BLOCK_H_
#define TCG_RUNTIME_TRANSLATION_BLOCK_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "tcg/ir/ir.h"

namespace tcg {

// Backend-specific compiled form of a block (e.g. x86-64 code); owned by the
// TranslationBlock so it lives exactly as long as any thread can run it.
class CompiledCode {
 public:
  virtual ~CompiledCode() = default;
};

// An immutable translated block, shared between vCPU threads through
// std::shared_ptr: an invalidated block stays alive until the last thread
// running it lets go.
struct TranslationBlock {
  uint64_t pc = 0;
  uint32_t flags = 0;
  // Guest-physical address of `pc` when address translation is on (the
  // cache key includes it, so harts with different page tables never share
  // a block wrongly); kSamePc when pc is physical.
  static constexpr uint64_t kSamePc = ~uint64_t{0};
  uint64_t phys_pc = kSamePc;
  uint64_t code_addr() const { return phys_pc == kSamePc ? pc : phys_pc; }
  // Guest-physical pages the code came from (a block can straddle two).
  uint64_t first_page = 0;
  uint64_t last_page = 0;
  // The 16-bit parcels the translator read, so FENCE.I can keep blocks
  // whose code did not change (TbCache::FlushChanged) instead of
  // retranslating everything: Linux fences after every executable mapping.
  struct Parcel {
    uint64_t paddr;
    uint16_t value;
  };
  std::vector<Parcel> source;
  // The TbCache fence epoch in which `source` last matched guest memory
  // (0: not yet checked); see TbCache::Verify.
  mutable std::atomic<uint64_t> verified_fence{0};
  ir::Block block;
  std::unique_ptr<CompiledCode> compiled;
};

using TbPtr = std::shared_ptr<const TranslationBlock>;

}  // namespace tcg

#endif  // TCG_RUNTIME_TRANSLATION_BLOCK_H_
