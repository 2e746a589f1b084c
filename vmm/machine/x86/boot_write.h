#ifndef VMM_MACHINE_X86_BOOT_WRITE_H_
#define VMM_MACHINE_X86_BOOT_WRITE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {

// Copies one piece of the boot image (kernel, initrd, command line, boot
// GDT...) into guest memory. A range outside RAM is the loader's mistake,
// not the user's: InternalError "writing the <what>: <why>".
absl::Status WriteBootBytes(GuestMemory* memory, uint64_t addr, absl::Span<const uint8_t> data,
                            absl::string_view what);

}  // namespace vmm

#endif  // VMM_MACHINE_X86_BOOT_WRITE_H_
