// RiscvVirtioSlots with real devices: vsock devices (unix sockets in a temp
// dir) behind virtio-mmio transports on a real bus and PLIC.
#include "vmm/machine/riscv/riscv_virtio_slots.h"

#include <gtest/gtest.h>

#include "devices/virtio/core/virtio_spec.h"
#include "devices/virtio/mmio/mmio_transport.h"
#include "devices/virtio/vsock/vsock_device.h"
#include "vmm/fdt/riscv_virt_fdt.h"
#include "vmm/worker/scoped_temp_dir.h"

namespace vmm {
namespace {

namespace rv = riscv_virt;

struct Rig {
  Rig() {
    meip = std::make_shared<RecordingInterruptLine>();
    seip = std::make_shared<RecordingInterruptLine>();
    plic = Plic::Create(rv::kPlicNumSources, {HartInterruptPins{nullptr, nullptr, meip, seip}})
               .value();
    memory = GuestMemory::Create({{GuestAddress(rv::kDramBase), 1 << 20}}).value();
  }
  uint32_t Read32(uint64_t addr) {
    uint8_t b[4] = {};
    EXPECT_TRUE(bus.Read(addr, absl::MakeSpan(b)));
    return b[0] | b[1] << 8 | b[2] << 16 | uint32_t{b[3]} << 24;
  }
  uint32_t PlicPending() {
    uint8_t b[4] = {};
    plic->Read(Plic::kPending, absl::MakeSpan(b));
    return b[0] | b[1] << 8 | b[2] << 16 | uint32_t{b[3]} << 24;
  }
  std::shared_ptr<virtio::VirtioDevice> Vsock(uint32_t cid) {
    virtio::VsockDeviceOptions o;
    o.guest_cid = cid;
    o.uds_path = dir.path() + "/v" + std::to_string(cid) + ".sock";
    return virtio::VsockDevice::Create(o).value();
  }
  ScopedTempDir dir;
  std::shared_ptr<RecordingInterruptLine> meip, seip;
  std::shared_ptr<Plic> plic;
  std::unique_ptr<GuestMemory> memory;
  Bus bus{"mmio"};
};

TEST(RiscvVirtioSlotsTest, CheckCountNamesTheFieldsAndTheExcess) {
  MachineSpec spec;
  spec.disks.resize(6);
  spec.nics.resize(1);
  spec.has_vsock = true;
  EXPECT_TRUE(RiscvVirtioSlots::CheckCount(spec).ok());  // 8: every slot.
  spec.nics.resize(2);
  absl::Status s = RiscvVirtioSlots::CheckCount(spec);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("disks+nics+vsock"), std::string::npos) << s;
  EXPECT_NE(s.message().find("remove 1"), std::string::npos) << s;
}

TEST(RiscvVirtioSlotsTest, DevicesFillSlotsInOrderAndEmptySlotsTheRest) {
  Rig r;
  RiscvVirtioSlots slots(r.memory.get(), r.plic.get(), &r.bus);
  ASSERT_TRUE(slots.Attach(r.Vsock(3), "vsock").ok());
  ASSERT_TRUE(slots.Attach(r.Vsock(4), "vsock").ok());
  absl::StatusOr<std::vector<std::shared_ptr<BusDevice>>> t = slots.Finish();
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 2u);
  for (int i = 0; i < rv::kVirtioCount; ++i) {
    const uint64_t base = rv::kVirtioBase + rv::kVirtioStride * i;
    EXPECT_EQ(r.Read32(base + virtio::mmio::kMagicValue), virtio::mmio::kMagic) << i;
    EXPECT_EQ(r.Read32(base + virtio::mmio::kVersion), 2u) << i;
    EXPECT_EQ(r.Read32(base + virtio::mmio::kDeviceId), i < 2 ? virtio::kDeviceIdVsock : 0u) << i;
  }
  // The vsock config space holds the guest CID (virtio 1.2 §5.10.4).
  EXPECT_EQ(r.Read32(rv::kVirtioBase + rv::kVirtioStride + virtio::mmio::kConfig), 4u);
}

TEST(RiscvVirtioSlotsTest, SlotIRaisesPlicSourceOnePlusI) {
  Rig r;
  RiscvVirtioSlots slots(r.memory.get(), r.plic.get(), &r.bus);
  ASSERT_TRUE(slots.Attach(r.Vsock(3), "vsock").ok());
  ASSERT_TRUE(slots.Attach(r.Vsock(5), "vsock").ok());
  std::vector<std::shared_ptr<BusDevice>> t = slots.Finish().value();
  EXPECT_EQ(r.PlicPending(), 0u);
  auto second = std::dynamic_pointer_cast<virtio::VirtioMmioTransport>(t[1]);
  ASSERT_NE(second, nullptr);
  second->SignalConfigChange();
  EXPECT_EQ(r.PlicPending(), 1u << (rv::kVirtioIrqBase + 1));
}

TEST(RiscvVirtioSlotsTest, ANinthDeviceIsRefusedWithItsName) {
  Rig r;
  RiscvVirtioSlots slots(r.memory.get(), r.plic.get(), &r.bus);
  for (uint32_t i = 0; i < static_cast<uint32_t>(rv::kVirtioCount); ++i) {
    ASSERT_TRUE(slots.Attach(r.Vsock(3 + i), "vsock").ok()) << i;
  }
  absl::Status s = slots.Attach(r.Vsock(20), "nics[7]");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("nics[7]"), std::string::npos) << s;
  EXPECT_EQ(slots.Finish().value().size(), static_cast<size_t>(rv::kVirtioCount));
}

}  // namespace
}  // namespace vmm
