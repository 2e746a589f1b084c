#include "tcg/ir/verify.h"

#include <string>

#include "absl/strings/str_format.h"

namespace tcg::ir {
namespace {

// `name` names the value; `arg` >= 0 appends " operand <arg>". Formatted only
// on failure: Verify runs on every translated block.
absl::Status CheckValue(const Block& block, size_t at, const Value& v,
                        Type want, absl::string_view name, int arg = -1) {
  auto what = [&] {
    return arg < 0 ? std::string(name) : absl::StrFormat("%s operand %d", name, arg);
  };
  if (v.is_none()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("inst %d: %s missing (want %s)", at, what(),
                        TypeName(want)));
  }
  if (want == Type::Imm) {
    if (!v.is_const()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "inst %d: %s must be an immediate, got v%d", at, what(), v.index()));
    }
    return absl::OkStatus();
  }
  if (v.type() != want) {
    return absl::InvalidArgumentError(
        absl::StrFormat("inst %d: %s has type %s, want %s", at, what(),
                        TypeName(v.type()), TypeName(want)));
  }
  if (v.is_inst()) {
    if (v.index() >= at) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "inst %d: %s uses v%d, defined at or after its use", at, what(),
          v.index()));
    }
    const Inst& def = block.insts[v.index()];
    if (def.type != want) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "inst %d: %s uses v%d of type %s, want %s", at, what(), v.index(),
          TypeName(def.type), TypeName(want)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Verify(const Block& block) {
  for (size_t i = 0; i < block.insts.size(); ++i) {
    const Inst& inst = block.insts[i];
    if (static_cast<int>(inst.op) >= kNumOpcodes) {
      return absl::InvalidArgumentError(
          absl::StrFormat("inst %d: opcode %d out of range 0..%d", i,
                          static_cast<int>(inst.op), kNumOpcodes - 1));
    }
    const OpInfo& info = GetOpInfo(inst.op);
    if (inst.type != info.result) {
      return absl::InvalidArgumentError(
          absl::StrFormat("inst %d (%s): result type %s, want %s", i,
                          info.name, TypeName(inst.type),
                          TypeName(info.result)));
    }
    for (int a = 0; a < kMaxArgs; ++a) {
      if (info.args[a] == Type::None) {
        if (!inst.args[a].is_none()) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "inst %d (%s): extra operand %d (takes %d)", i, info.name, a,
              info.num_args));
        }
        continue;
      }
      absl::Status s = CheckValue(block, i, inst.args[a], info.args[a], info.name, a);
      if (!s.ok()) return s;
    }
  }
  const Terminal& t = block.terminal;
  const size_t end = block.insts.size();
  switch (t.kind) {
    case Terminal::Kind::kNone:
      return absl::InvalidArgumentError("block has no terminal");
    case Terminal::Kind::kJump:
    case Terminal::Kind::kExit:
      return absl::OkStatus();
    case Terminal::Kind::kIndirect:
      return CheckValue(block, end, t.target, Type::I64, "indirect target");
    case Terminal::Kind::kBranch:
      return CheckValue(block, end, t.cond, Type::I64, "branch condition");
  }
  return absl::OkStatus();
}

}  // namespace tcg::ir
