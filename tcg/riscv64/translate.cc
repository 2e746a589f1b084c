#include "tcg/riscv64/translator.h"

namespace tcg::riscv64 {
namespace {

// Fetch result for one instruction.
enum class Fetch { kOk, kFault };

Fetch FetchInsn(CodeFetcher& fetch, uint64_t pc, Insn* insn, uint64_t* fault_addr) {
  uint16_t lo = 0;
  if (!fetch.Read16(pc, &lo)) {
    *fault_addr = pc;
    return Fetch::kFault;
  }
  insn->pc = pc;
  if ((lo & 3) != 3) {
    insn->len = 2;
    insn->parcel = lo;
    insn->raw = ExpandCompressed(lo);
    return Fetch::kOk;
  }
  uint16_t hi = 0;
  if (!fetch.Read16(pc + 2, &hi)) {
    *fault_addr = pc + 2;
    return Fetch::kFault;
  }
  insn->len = 4;
  insn->raw = insn->parcel = static_cast<uint32_t>(hi) << 16 | lo;
  return Fetch::kOk;
}

}  // namespace

absl::StatusOr<ir::Block> TranslateBlock(uint64_t pc, uint32_t flags, CodeFetcher& fetch,
                                         const TranslateOptions& options) {
  ir::Block block;
  block.guest_pc = pc;
  block.flags = flags;
  Translator t(&block);
  const uint64_t page = pc & ~kGuestPageMask;
  uint64_t cur = pc;

  for (int n = 0; n < options.max_insns && !t.ended(); ++n) {
    // Stay on the first page (an instruction may straddle into the next):
    // page-granular invalidation then covers every byte we read.
    if (n > 0 && (cur & ~kGuestPageMask) != page) break;
    Insn insn;
    uint64_t fault_addr = 0;
    if (FetchInsn(fetch, cur, &insn, &fault_addr) == Fetch::kFault) {
      if (n == 0) {
        const uint64_t cause = fetch.page_fault() ? kCauseInsnPageFault : kCauseInsnAccessFault;
        t.End(ir::Terminal::Exit(ir::ExitReason::kException, cur, cause, fault_addr));
      }
      break;  // else: end before it; the next block reports the fault
    }
    t.ir().InsnStart(ir::Value::Imm(cur));
    const InsnDesc* desc = insn.raw != 0 ? Decode(insn.raw) : nullptr;
    bool ok = false;
    if (desc != nullptr) {
      ExtractOperands(desc->format, insn);
      const size_t mark = block.insts.size();
      ok = desc->handler(t, insn);
      if (!ok) block.insts.resize(mark);
    }
    if (!ok) {
      // Illegal instruction (privileged spec 3.1.16: mtval = the encoding).
      block.terminal = ir::Terminal();
      t.End(ir::Terminal::Exit(ir::ExitReason::kException, cur, kCauseIllegalInsn, insn.parcel));
      break;
    }
    block.guest_insns++;
    block.guest_bytes += insn.len;
    cur += insn.len;
  }
  if (!t.ended()) t.End(ir::Terminal::Jump(cur));
  return block;
}

}  // namespace tcg::riscv64
