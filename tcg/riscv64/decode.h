#ifndef TCG_RISCV64_DECODE_H_
#define TCG_RISCV64_DECODE_H_

#include <cstdint>

#include "absl/types/span.h"

namespace tcg::riscv64 {

class Translator;

// Operand layout of an encoding (unprivileged spec, 2.3 and 2.4).
enum class Format : uint8_t {
  kR,       // rd, rs1, rs2
  kI,       // rd, rs1, imm[11:0]
  kIShift,  // rd, rs1, shamt[5:0] (RV64 immediate shifts)
  kIShiftW, // rd, rs1, shamt[4:0]
  kS,       // rs1, rs2, imm[11:5|4:0]
  kB,       // rs1, rs2, imm[12|10:5|4:1|11]
  kU,       // rd, imm[31:12]
  kJ,       // rd, imm[20|10:1|11|19:12]
  kCsr,     // rd, rs1 (register or 5-bit uimm), csr in imm
  kAmo,     // rd, rs1, rs2, aq/rl in imm bits 1 (aq) and 0 (rl)
  kFence,   // pred/succ/fm in imm (raw bits 31:20)
  kNone,    // no operands
};

// A decoded 32-bit instruction (compressed ones are expanded first).
struct Insn {
  uint32_t raw = 0;     // the 32-bit encoding (after expansion)
  uint32_t parcel = 0;  // what was fetched (16 bits for compressed)
  uint64_t pc = 0;
  uint8_t len = 4;      // 2 or 4
  uint8_t rd = 0, rs1 = 0, rs2 = 0;
  int64_t imm = 0;      // sign-extended where the format says so
};

// Emits IR for one instruction. Returns false for a reserved encoding the
// table could not exclude (then nothing may have been emitted).
using Handler = bool (*)(Translator& t, const Insn& insn);

// One encoding: matches when (raw & mask) == match. Encodings are data;
// semantics are the handlers (translate_*.cc).
struct InsnDesc {
  const char* name;
  uint32_t mask;
  uint32_t match;
  Format format;
  Handler handler;
};

// The RV64 I, M, A, Zicsr and Zifencei encodings (plus MRET/WFI).
absl::Span<const InsnDesc> InsnTable();

// Finds the encoding of `raw`; nullptr if none (illegal instruction).
const InsnDesc* Decode(uint32_t raw);

// Fills operands of `insn` (raw already set) according to `format`.
void ExtractOperands(Format format, Insn& insn);

// Expands a 16-bit compressed instruction (C extension, unprivileged spec
// ch. 16) to its 32-bit equivalent; 0 if reserved/illegal.
uint32_t ExpandCompressed(uint16_t c);

}  // namespace tcg::riscv64

#endif  // TCG_RISCV64_DECODE_H_
