#ifndef TESTS_MACHINE_CONSOLE_CAPTURE_H_
#define TESTS_MACHINE_CONSOLE_CAPTURE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vmm/machine/machine.h"

namespace vmm {

// Collects guest console output; lets tests wait for text to appear.
class ConsoleCapture {
 public:
  ConsoleOutput Sink() {
    return [this](absl::string_view bytes) {
      absl::MutexLock lock(&mu_);
      text_.append(bytes.data(), bytes.size());
    };
  }

  std::string text() const {
    absl::MutexLock lock(&mu_);
    return text_;
  }

  // True once `needle` occurs in the output, false after `timeout`.
  bool WaitFor(absl::string_view needle, absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    struct Arg {
      const std::string* text;
      absl::string_view needle;
    } arg{&text_, needle};
    return mu_.AwaitWithTimeout(absl::Condition(
                                    +[](Arg* a) {
                                      return absl::string_view(*a->text).find(a->needle) !=
                                             absl::string_view::npos;
                                    },
                                    &arg),
                                timeout);
  }

 private:
  mutable absl::Mutex mu_;
  std::string text_;
};

}  // namespace vmm

#endif  // TESTS_MACHINE_CONSOLE_CAPTURE_H_
