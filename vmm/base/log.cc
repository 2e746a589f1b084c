#include "vmm/base/log.h"

#include <unistd.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace vmm {
namespace {

std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

void AppendValue(std::string* out, absl::string_view value) {
  bool needs_quotes = value.empty() ||
                      value.find_first_of(" \"=\t\n") != absl::string_view::npos;
  if (!needs_quotes) {
    absl::StrAppend(out, value);
    return;
  }
  absl::StrAppend(out, "\"",
                  absl::StrReplaceAll(value, {{"\\", "\\\\"},
                                              {"\"", "\\\""},
                                              {"\n", "\\n"},
                                              {"\t", "\\t"}}),
                  "\"");
}

}  // namespace

std::string FormatLogLine(LogLevel level, absl::string_view component,
                          absl::string_view event,
                          std::initializer_list<LogField> fields) {
  std::string line = absl::StrCat(
      "ts=", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      " level=", LevelName(level), " component=");
  AppendValue(&line, component);
  absl::StrAppend(&line, " event=");
  AppendValue(&line, event);
  for (const LogField& field : fields) {
    absl::StrAppend(&line, " ", field.first, "=");
    AppendValue(&line, field.second);
  }
  line.push_back('\n');
  return line;
}

void Log(LogLevel level, absl::string_view component, absl::string_view event,
         std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < min_level.load(std::memory_order_relaxed)) return;
  std::string line = FormatLogLine(level, component, event, fields);
  // A single write keeps lines from different threads whole.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

void SetMinLogLevel(LogLevel level) {
  min_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

}  // namespace vmm
