#ifndef TCG_IR_PRINTER_H_
#define TCG_IR_PRINTER_H_

#include <string>

#include "tcg/ir/ir.h"

namespace tcg::ir {

// Human-readable listing of a block, one instruction per line, e.g.
//   v2:i64 = Add64 v1, 0x10:i64
//   Store [sz=4] v2, v0
//   -> jump 0x80000010
std::string Print(const Block& block);
std::string PrintValue(const Value& v);

}  // namespace tcg::ir

#endif  // TCG_IR_PRINTER_H_
