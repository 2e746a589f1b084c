#include "vmm/machine/x86/acpi_pts_port.h"

#include <algorithm>

namespace vmm {

void AcpiPtsPort::Read(uint64_t offset, absl::Span<uint8_t> data) {
  absl::MutexLock lock(&mu_);
  std::fill(data.begin(), data.end(), 0);
  if (offset == 0 && !data.empty()) data[0] = value_;
}

void AcpiPtsPort::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  if (offset != 0 || data.empty()) return;
  {
    absl::MutexLock lock(&mu_);
    value_ = data[0];
  }
  if (handler_) handler_(data[0]);
}

}  // namespace vmm
