#ifndef TCG_IR_IR_H_
#define TCG_IR_IR_H_

#include <cstdint>
#include <vector>

#include "tcg/ir/opcode.h"

namespace tcg::ir {

// An operand: either the result of an earlier instruction in the same block
// (SSA: each instruction defines at most one value, never reassigned) or a
// constant. Immediate operand slots always hold constants.
class Value {
 public:
  enum class Kind : uint8_t { kNone, kInst, kConst };

  Value() = default;
  static Value Inst(uint32_t index, Type type) {
    Value v;
    v.kind_ = Kind::kInst;
    v.type_ = type;
    v.index_ = index;
    return v;
  }
  static Value Const(Type type, uint64_t bits) {
    Value v;
    v.kind_ = Kind::kConst;
    v.type_ = type;
    v.bits_ = type == Type::I32 ? static_cast<uint32_t>(bits) : bits;
    return v;
  }
  static Value Imm(uint64_t bits) { return Const(Type::Imm, bits); }
  static Value I64(uint64_t bits) { return Const(Type::I64, bits); }
  static Value I32(uint32_t bits) { return Const(Type::I32, bits); }

  Kind kind() const { return kind_; }
  Type type() const { return type_; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_inst() const { return kind_ == Kind::kInst; }
  bool is_const() const { return kind_ == Kind::kConst; }
  // Index of the defining instruction (is_inst() only).
  uint32_t index() const { return index_; }
  // Constant bits; I32 constants are kept zero-extended.
  uint64_t bits() const { return bits_; }

  bool operator==(const Value& o) const {
    return kind_ == o.kind_ && type_ == o.type_ && index_ == o.index_ &&
           bits_ == o.bits_;
  }
  bool operator!=(const Value& o) const { return !(*this == o); }

 private:
  Kind kind_ = Kind::kNone;
  Type type_ = Type::None;
  uint32_t index_ = 0;
  uint64_t bits_ = 0;
};

struct Inst {
  Opcode op;
  Type type;  // result type (Void if none)
  Value args[kMaxArgs];
};

// Why a block hands control back to the dispatcher instead of continuing.
enum class ExitReason : uint8_t {
  kNone,       // not an exit (internal)
  kException,  // guest exception; code = guest-specific cause, aux = tval
  kMemFault,   // load/store/atomic fault; aux = address (ExecContext has detail)
  kFlushCode,  // guest asked for instruction-stream sync (e.g. FENCE.I)
  kHalt,       // guest waits for an interrupt (WFI)
  kHelper,     // a helper asked to stop (code is helper-defined)
};

// How a block ends. Every block has exactly one terminal; there is no
// implicit fall-through.
struct Terminal {
  enum class Kind : uint8_t {
    kNone,      // not yet set (invalid in a finished block)
    kJump,      // continue at constant guest PC `pc`
    kIndirect,  // continue at computed guest PC `target`
    kBranch,    // cond != 0 ? pc : pc_else (both constant)
    kExit,      // return to the dispatcher with `reason`, guest PC = pc
  };
  Kind kind = Kind::kNone;
  uint64_t pc = 0;
  uint64_t pc_else = 0;
  Value target;  // kIndirect
  Value cond;    // kBranch
  ExitReason reason = ExitReason::kNone;
  uint64_t code = 0;  // kExit: reason-specific code (e.g. exception cause)
  uint64_t aux = 0;   // kExit: reason-specific value (e.g. tval)

  static Terminal Jump(uint64_t pc) {
    Terminal t;
    t.kind = Kind::kJump;
    t.pc = pc;
    return t;
  }
  static Terminal Indirect(Value target) {
    Terminal t;
    t.kind = Kind::kIndirect;
    t.target = target;
    return t;
  }
  static Terminal Branch(Value cond, uint64_t taken, uint64_t not_taken) {
    Terminal t;
    t.kind = Kind::kBranch;
    t.cond = cond;
    t.pc = taken;
    t.pc_else = not_taken;
    return t;
  }
  static Terminal Exit(ExitReason reason, uint64_t pc, uint64_t code = 0,
                       uint64_t aux = 0) {
    Terminal t;
    t.kind = Kind::kExit;
    t.reason = reason;
    t.pc = pc;
    t.code = code;
    t.aux = aux;
    return t;
  }
};

// A straight-line sequence of IR instructions translated from guest code
// starting at `guest_pc`, ending in `terminal`.
struct Block {
  uint64_t guest_pc = 0;
  uint32_t flags = 0;        // translation flags it was built under
  uint32_t guest_bytes = 0;  // guest code bytes covered
  uint32_t guest_insns = 0;  // guest instructions covered
  std::vector<Inst> insts;
  Terminal terminal;
};

}  // namespace tcg::ir

#endif  // TCG_IR_IR_H_
