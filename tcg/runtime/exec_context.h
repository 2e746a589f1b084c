#ifndef TCG_RUNTIME_EXEC_CONTEXT_H_
#define TCG_RUNTIME_EXEC_CONTEXT_H_

#include <atomic>
#include <cstdint>

#include "tcg/ir/ir.h"

namespace tcg {

class SoftMmu;

enum class MemAccess : uint8_t { kLoad, kStore, kFetch };

// Why a guest memory access failed.
struct MemFault {
  uint64_t addr = 0;
  MemAccess access = MemAccess::kLoad;
  bool misaligned = false;  // else: access fault (unmapped / device refused)
  bool page_fault = false;  // address translation refused it (addr is virtual)
};

// The outcome of running one block (or a helper asking to stop).
struct ExitInfo {
  ir::ExitReason reason = ir::ExitReason::kNone;  // kNone: continue at pc
  uint64_t pc = 0;    // next guest PC, or the faulting instruction's PC
  uint64_t code = 0;  // reason-specific (exception cause)
  uint64_t aux = 0;   // reason-specific (tval)
  MemFault fault;     // kMemFault only
};

// Per-vCPU context handed to a backend when it runs a block, and to helpers.
struct ExecContext {
  uint8_t* state = nullptr;  // guest state block (GetReg/SetReg offsets)
  uint32_t pc_offset = 0;    // where the guest PC lives in `state`
  SoftMmu* mmu = nullptr;
  uint8_t* tlb = nullptr;    // mmu->tlb_base(), for inlined TLB lookups
  void* frontend = nullptr;  // frontend's per-vCPU object, for its helpers

  // A helper that must end the block sets this (reason != kNone); the
  // backend stops right after the helper returns, discards its result,
  // fills in pc with the current guest instruction's PC and reports it.
  ExitInfo pending;
  void RaiseExit(ir::ExitReason reason, uint64_t code, uint64_t aux) {
    pending.reason = reason;
    pending.code = code;
    pending.aux = aux;
  }

  uint64_t insns_retired = 0;  // guest instructions of completed blocks

  // Direct block chaining (backends that support it; Executor sets these).
  // A chained edge is taken only while *stop_flag is clear, chain_budget
  // stays positive (decremented per chained block) and the edge's link
  // generation equals *link_generation; else the block returns normally,
  // leaving the edge's slot in chain_slot for the dispatcher to link.
  const std::atomic<bool>* stop_flag = nullptr;
  const std::atomic<uint64_t>* link_generation = nullptr;  // TbCache's
  int64_t chain_budget = 0;
  void* chain_slot = nullptr;
  // Indirect jumps look their target up here (IndirectEntry[kIndirectEntries],
  // indexed by (pc >> 1) % kIndirectEntries) before returning to the
  // dispatcher, which fills it.
  const void* indirect_cache = nullptr;
};

// One indirect-jump cache entry: valid for (pc, flags) while the link
// generation equals `generation`; `entry` is the backend's chain entry.
struct IndirectEntry {
  uint64_t pc = ~uint64_t{0};
  uint64_t flags = 0;
  uint64_t generation = ~uint64_t{0};
  const void* entry = nullptr;
};
constexpr size_t kIndirectEntries = 1024;

// Signature of helpers called by the CallHelper op.
using HelperFn = uint64_t (*)(ExecContext* ctx, uint64_t a, uint64_t b,
                              uint64_t c);

}  // namespace tcg

#endif  // TCG_RUNTIME_EXEC_CONTEXT_H_
