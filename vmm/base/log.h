#ifndef VMM_BASE_LOG_H_
#define VMM_BASE_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace vmm {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// One structured log field: key=value.
using LogField = std::pair<absl::string_view, std::string>;

// Writes one logfmt line to stderr, e.g.
//   ts=2026-11-25T21:54:14.123Z level=info component=manager event=vm_started vm=web1
// Values with spaces or quotes are quoted. Thread-safe; one write(2) per line.
void Log(LogLevel level, absl::string_view component, absl::string_view event,
         std::initializer_list<LogField> fields = {});

// Lines below this level are dropped. Default: kInfo.
void SetMinLogLevel(LogLevel level);

// Formats a line without writing it (exposed for tests).
std::string FormatLogLine(LogLevel level, absl::string_view component,
                          absl::string_view event,
                          std::initializer_list<LogField> fields);

}  // namespace vmm

#endif  // VMM_BASE_LOG_H_
