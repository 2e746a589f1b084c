#ifndef TCG_OPT_PASSES_H_
#define TCG_OPT_PASSES_H_

#include "tcg/ir/ir.h"

namespace tcg::opt {

// IR optimization passes: free functions over one block, each testable
// alone. All preserve the block's observable behaviour, including precise
// guest state at every op that may exit early (kMayExit).

// Guest-register forwarding: a GetReg of a slot whose value is known in
// this block (from an earlier SetReg or GetReg of the same slot) becomes
// that value; a SetReg overwritten before anything could observe it is
// dropped. Frontends read x1..x31 per instruction, so this removes most
// state traffic.
void ForwardGuestRegisters(ir::Block& block);

// Constant folding (through the shared pure-op semantics) and copy
// propagation of algebraic identities (x+0, x&-1, x*1, select on a
// constant...). Replaced instructions are left for EliminateDeadCode.
void FoldConstants(ir::Block& block);

// Removes instructions whose results are unused and that have no effects,
// renumbering the rest.
void EliminateDeadCode(ir::Block& block);

// The standard pipeline: forward, fold, remove dead code.
void Optimize(ir::Block& block);

}  // namespace tcg::opt

#endif  // TCG_OPT_PASSES_H_
