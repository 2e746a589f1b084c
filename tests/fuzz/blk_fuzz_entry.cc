#include "tests/fuzz/blk_fuzz_entry.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "devices/irq/interrupt_line.h"
#include "devices/virtio/block/block_device.h"
#include "devices/virtio/core/virtio_spec.h"
#include "devices/virtio/mmio/mmio_transport.h"
#include "vmm/base/log.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {
namespace fuzz {
namespace {

using virtio::mmio::kConfig;

struct Rig {
  std::string image_path;
  std::unique_ptr<GuestMemory> memory;
  std::shared_ptr<virtio::BlockDevice> device;
  std::unique_ptr<virtio::VirtioMmioTransport> transport;

  void W(uint64_t off, uint32_t v) {
    transport->Write(off, absl::Span<const uint8_t>(reinterpret_cast<uint8_t*>(&v), 4));
  }
  uint32_t R(uint64_t off) {
    uint32_t v = 0;
    transport->Read(off, absl::Span<uint8_t>(reinterpret_cast<uint8_t*>(&v), 4));
    return v;
  }
};

Rig* MakeRig() {
  SetMinLogLevel(LogLevel::kError);
  auto* rig = new Rig();  // Lives for the process: libFuzzer never returns.
  const char* dir = getenv("TEST_TMPDIR");
  std::string tmpl = std::string(dir ? dir : "/tmp") + "/blkfuzzXXXXXX";
  std::vector<char> path(tmpl.begin(), tmpl.end());
  path.push_back('\0');
  int fd = ::mkstemp(path.data());
  if (fd < 0 || ::ftruncate(fd, 64 * 1024) != 0) abort();
  ::close(fd);
  rig->image_path = path.data();
  rig->memory = std::move(*GuestMemory::Create({{GuestAddress(0), kFuzzRamBytes}}));
  virtio::BlockDeviceOptions o;
  o.path = rig->image_path;
  o.serial = "fuzz";
  o.num_queues = 2;
  o.queue_size = 16;
  o.size_max = 8192;
  auto dev = virtio::BlockDevice::Create(o);
  if (!dev.ok()) abort();
  rig->device = std::move(*dev);
  rig->transport = std::make_unique<virtio::VirtioMmioTransport>(
      rig->device, rig->memory.get(), std::make_shared<RecordingInterruptLine>());
  ::unlink(rig->image_path.c_str());  // The fd keeps it alive.
  return rig;
}

uint16_t last_used = 0;
uint8_t last_status = 0;

}  // namespace

namespace {
void RunInput(const uint8_t* data, size_t size, bool wait);
}  // namespace

BlkFuzzOutcome BlkFuzzLastOutcome() { return BlkFuzzOutcome{last_used, last_status}; }

int BlkFuzzOneInput(const uint8_t* data, size_t size) {
  RunInput(data, size, /*wait=*/false);
  return 0;
}

void BlkFuzzReplay(const uint8_t* data, size_t size) { RunInput(data, size, /*wait=*/true); }

namespace {

void RunInput(const uint8_t* data, size_t size, bool wait) {
  static Rig* rig = MakeRig();
  if (size == 0) return;
  const uint8_t ctl = data[0];
  // Fresh RAM contents: zero what the last input touched, then lay this one.
  static std::vector<uint8_t> zero(kFuzzRamBytes - kFuzzRingBase, 0);
  (void)rig->memory->Write(GuestAddress(kFuzzRingBase), zero);
  const size_t n = std::min<size_t>(size - 1, kFuzzRamBytes - kFuzzRingBase);
  (void)rig->memory->Write(GuestAddress(kFuzzRingBase), absl::Span<const uint8_t>(data + 1, n));

  uint64_t features = virtio::Bit(virtio::kFVersion1) | rig->device->device_features();
  if (!(ctl & 1)) features &= ~virtio::Bit(virtio::kFEventIdx);
  if (!(ctl & 2)) features &= ~virtio::Bit(virtio::kFIndirectDesc);
  const uint32_t qsize = 1u << ((ctl >> 2) & 7);  // 1..128: above 16 is refused

  rig->W(virtio::mmio::kStatus, 0);
  rig->W(virtio::mmio::kStatus, 3);
  for (uint32_t sel = 0; sel < 2; ++sel) {
    rig->W(virtio::mmio::kDriverFeaturesSel, sel);
    rig->W(virtio::mmio::kDriverFeatures, static_cast<uint32_t>(features >> (32 * sel)));
  }
  rig->W(virtio::mmio::kStatus, 11);
  const int queues = (ctl & 32) ? 2 : 1;
  for (int q = 0; q < queues; ++q) {
    // Queue 1 shares the rings of queue 0: both parse the same chains.
    rig->W(virtio::mmio::kQueueSel, q);
    rig->W(virtio::mmio::kQueueNum, qsize);
    rig->W(virtio::mmio::kQueueDescLow, kFuzzDesc);
    rig->W(virtio::mmio::kQueueDriverLow, kFuzzAvail);
    rig->W(virtio::mmio::kQueueDeviceLow, kFuzzUsed);
    rig->W(virtio::mmio::kQueueReady, 1);
  }
  // A config read at an input-chosen offset and width.
  uint8_t cfg[8];
  const size_t width = size > 2 ? (1u << (data[2] & 3)) : 4;
  rig->transport->Read(kConfig + (size > 1 ? data[1] : 0), absl::Span<uint8_t>(cfg, width));
  rig->W(virtio::mmio::kStatus, 15);  // Activation serves the queues once.
  rig->W(virtio::mmio::kQueueNotify, 0);
  // The worker serves the queues once on activation before it can see the
  // stop, and the reset completes in-flight I/O; only the status bit needs a
  // wait to be observed before the reset clears it.
  if (wait) {
    const uint16_t avail = rig->memory->ReadObj<uint16_t>(GuestAddress(kFuzzAvail + 2)).value_or(0);
    for (int i = 0; i < 2000; ++i) {
      const uint16_t used = rig->memory->ReadObj<uint16_t>(GuestAddress(kFuzzUsed + 2)).value_or(0);
      if (used == avail || (rig->R(virtio::mmio::kStatus) & virtio::kStatusDeviceNeedsReset)) {
        break;
      }
      usleep(1000);
    }
  }
  last_status = static_cast<uint8_t>(rig->R(virtio::mmio::kStatus));
  rig->W(virtio::mmio::kStatus, 0);  // Joins the worker, drains the I/O.
  last_used = rig->memory->ReadObj<uint16_t>(GuestAddress(kFuzzUsed + 2)).value_or(0);
  (void)rig->R(virtio::mmio::kInterruptStatus);
}

}  // namespace

}  // namespace fuzz
}  // namespace vmm
