#include "tcg/x86_64/reg_alloc.h"

#include <algorithm>

namespace tcg::x86_64 {

Allocation AllocateRegisters(const ir::Block& block) {
  const size_t n = block.insts.size();
  // Last use of each value; -1 if unused. The terminal counts as index n.
  std::vector<int64_t> last(n, -1);
  auto use = [&](const ir::Value& v, int64_t at) {
    if (v.is_inst()) last[v.index()] = std::max(last[v.index()], at);
  };
  for (size_t i = 0; i < n; ++i) {
    for (const ir::Value& v : block.insts[i].args) use(v, static_cast<int64_t>(i));
  }
  use(block.terminal.target, static_cast<int64_t>(n));
  use(block.terminal.cond, static_cast<int64_t>(n));

  Allocation out;
  out.homes.resize(n);
  struct Active {
    size_t value;
    int64_t end;
  };
  std::vector<Active> active;
  std::vector<Reg> free_regs(std::begin(kAllocatable), std::end(kAllocatable));
  auto spill = [&](size_t value) {
    out.homes[value].kind = Home::Kind::kStack;
    out.homes[value].slot = out.frame_bytes;
    out.frame_bytes += 8;
  };

  for (size_t i = 0; i < n; ++i) {
    // Operands are read into scratch registers before the result is
    // written, so a range ending here frees its register for the result.
    for (auto it = active.begin(); it != active.end();) {
      if (it->end <= static_cast<int64_t>(i)) {
        free_regs.push_back(out.homes[it->value].reg);
        it = active.erase(it);
      } else {
        ++it;
      }
    }
    if (block.insts[i].type == ir::Type::Void || last[i] < 0) continue;
    if (!free_regs.empty()) {
      out.homes[i].kind = Home::Kind::kReg;
      out.homes[i].reg = free_regs.back();
      free_regs.pop_back();
      active.push_back({i, last[i]});
      continue;
    }
    auto victim = std::max_element(active.begin(), active.end(),
                                   [](const Active& a, const Active& b) { return a.end < b.end; });
    if (victim->end > last[i]) {
      out.homes[i] = out.homes[victim->value];
      spill(victim->value);
      *victim = Active{i, last[i]};
    } else {
      spill(i);
    }
  }
  return out;
}

}  // namespace tcg::x86_64
