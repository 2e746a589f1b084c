#ifndef TCG_IR_OPCODE_H_
#define TCG_IR_OPCODE_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace tcg::ir {

// The type of an IR value or operand slot.
enum class Type : uint8_t {
  None,  // unused operand slot
  Void,  // op produces no value
  I32,
  I64,
  Imm,  // operand must be an immediate (not a computed value)
};

absl::string_view TypeName(Type type);

// Opcode property flags (see opcodes.inc).
enum OpFlag : uint32_t {
  kPure = 1u << 0,         // result depends only on operands; no effects
  kCommutative = 1u << 1,  // operands 0 and 1 may be swapped
  kSideEffect = 1u << 2,   // must stay in place even if its result is unused
  kReadsEnv = 1u << 3,     // reads the guest state block
  kWritesEnv = 1u << 4,    // writes the guest state block
  kMemory = 1u << 5,       // accesses guest memory
  kMayExit = 1u << 6,      // may end the block early
};

enum class Opcode : uint16_t {
#define OPCODE(name, ret, a0, a1, a2, a3, flags) name,
#include "tcg/ir/opcodes.inc"
#undef OPCODE
  kCount,
};

constexpr int kMaxArgs = 4;
constexpr int kNumOpcodes = static_cast<int>(Opcode::kCount);

struct OpInfo {
  absl::string_view name;
  Type result;
  Type args[kMaxArgs];
  int num_args;
  uint32_t flags;
};

// Metadata for `op`, generated from opcodes.inc.
const OpInfo& GetOpInfo(Opcode op);

inline absl::string_view OpName(Opcode op) { return GetOpInfo(op).name; }

// True when an unused result means the op can be deleted.
inline bool IsRemovableIfUnused(Opcode op) {
  return (GetOpInfo(op).flags &
          (kSideEffect | kWritesEnv | kMemory | kMayExit)) == 0;
}

// Comparison conditions for SetCond64.
enum class Cond : uint8_t { kEq, kNe, kLtS, kGeS, kLtU, kGeU };
absl::string_view CondName(Cond cond);

// Memory barrier orderings carried by Mb. Each bit says "accesses of the
// first kind before the barrier are ordered before accesses of the second
// kind after it" (RISC-V FENCE pred/succ; RVWMO, unprivileged spec ch. 17).
enum Ordering : uint8_t {
  kOrderLoadLoad = 1u << 0,
  kOrderLoadStore = 1u << 1,
  kOrderStoreLoad = 1u << 2,
  kOrderStoreStore = 1u << 3,
  // One-sided: later accesses stay after this point (acquire) / earlier
  // accesses stay before it (release).
  kOrderAcquire = 1u << 4,
  kOrderRelease = 1u << 5,
  kOrderAll = 0x3f,
};

// Describes a guest memory access: size, extension and alignment.
struct MemOp {
  uint8_t log2_size = 0;  // 0..3: 1, 2, 4, 8 bytes
  bool sign = false;      // sign-extend loaded value to 64 bits
  bool aligned = false;   // misaligned address faults (atomics, LR/SC)

  unsigned size() const { return 1u << log2_size; }
  uint64_t Encode() const {
    return log2_size | (sign ? 4u : 0u) | (aligned ? 8u : 0u);
  }
  static MemOp Decode(uint64_t bits) {
    MemOp m;
    m.log2_size = bits & 3;
    m.sign = (bits & 4) != 0;
    m.aligned = (bits & 8) != 0;
    return m;
  }
};

}  // namespace tcg::ir

#endif  // TCG_IR_OPCODE_H_
