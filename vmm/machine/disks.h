#ifndef VMM_MACHINE_DISKS_H_
#define VMM_MACHINE_DISKS_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/virtio/block/block_device.h"
#include "vmm/machine/machine.h"

namespace vmm {

// Opens every disk of a MachineSpec as a virtio-blk device, in spec order.
// Images are opened and locked here, so a missing or locked image fails
// the build before any vCPU runs; on error the devices opened so far are
// closed again (their locks released). Errors start with "disks[i]".
absl::StatusOr<std::vector<std::shared_ptr<virtio::BlockDevice>>> OpenDisks(
    const std::vector<DiskConfig>& disks);

DiskCounterValues ToDiskCounterValues(const virtio::BlockCountersSnapshot& s);

}  // namespace vmm

#endif  // VMM_MACHINE_DISKS_H_
