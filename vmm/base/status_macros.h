#ifndef VMM_BASE_STATUS_MACROS_H_
#define VMM_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function if `expr` yields a non-OK status.
#define RETURN_IF_ERROR(expr)                         \
  do {                                                \
    ::absl::Status vmm_status_ = (expr);              \
    if (!vmm_status_.ok()) return vmm_status_;        \
  } while (0)

#define VMM_CONCAT_INNER_(a, b) a##b
#define VMM_CONCAT_(a, b) VMM_CONCAT_INNER_(a, b)

// ASSIGN_OR_RETURN(auto x, MakeX()); declares `x` or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  VMM_ASSIGN_OR_RETURN_IMPL_(VMM_CONCAT_(vmm_statusor_, __LINE__), lhs, expr)

#define VMM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

#endif  // VMM_BASE_STATUS_MACROS_H_
