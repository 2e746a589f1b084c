#ifndef VMM_MACHINE_X86_ACPI_PTS_PORT_H_
#define VMM_MACHINE_X86_ACPI_PTS_PORT_H_

#include <cstdint>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "devices/bus/bus.h"

namespace vmm {

// The 1-byte port our DSDT's \_PTS method (acpi_tables.h, pts_port) writes
// its argument to: the sleep state the guest's OSPM is preparing to enter
// (ACPI 6.4 §7.4.2, "_PTS (Prepare To Sleep)"). Linux evaluates \_PTS(5)
// after device shutdown, before it stops the other CPUs and writes SLP_EN
// (poweroff) or resets (restart: since 6.0 Linux runs it on reboot too, as
// Windows does), so a 5 here is the guest going down for good.
// Reads return the last value written (0 before any).
class AcpiPtsPort : public BusDevice {
 public:
  static constexpr uint8_t kS5 = 5;
  using Handler = std::function<void(uint8_t sleep_state)>;

  explicit AcpiPtsPort(Handler handler) : handler_(std::move(handler)) {}

  absl::string_view name() const override { return "acpi_pts"; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  // Only byte 0 counts; `handler` runs on every write, outside the lock.
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

 private:
  const Handler handler_;
  absl::Mutex mu_;
  uint8_t value_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vmm

#endif  // VMM_MACHINE_X86_ACPI_PTS_PORT_H_
