// GsiRouter against the real /dev/kvm: KVM_SET_GSI_ROUTING replaces the
// whole table, so after our commits the PIC and IOAPIC routes that
// KVM_CREATE_IRQCHIP made must still carry KVM_IRQ_LINE to the chips. The
// chips' IRR registers (KVM_GET_IRQCHIP) show where a line went.
#include "vmm/machine/x86/gsi_router.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cstring>
#include <vector>

#include "accel/kvm/kvm_abi.h"
#include "accel/kvm/kvm_test_fixture.h"
#include "accel/kvm/kvm_vm.h"
#include "gtest/gtest.h"

namespace vmm {
namespace {

class GsiRouterTest : public KvmVmTest {
 protected:
  // A further VM on the same /dev/kvm fd.
  std::unique_ptr<KvmVm> NewVm() {
    auto vm = KvmVm::Create(kvm_.get());
    EXPECT_TRUE(vm.ok()) << vm.status();
    return vm.ok() ? std::move(*vm) : nullptr;
  }

  static void Line(const KvmVm& vm, uint32_t gsi, bool level) {
    kvm_irq_level irq{};
    irq.irq = gsi;
    irq.level = level;
    ASSERT_EQ(::ioctl(vm.fd(), KVM_IRQ_LINE, &irq), 0) << gsi;
  }
  static uint32_t IoapicIrr(const KvmVm& vm) {
    kvm_irqchip chip{};
    chip.chip_id = KVM_IRQCHIP_IOAPIC;
    EXPECT_EQ(::ioctl(vm.fd(), KVM_GET_IRQCHIP, &chip), 0);
    return static_cast<uint32_t>(chip.chip.ioapic.irr);
  }
  static uint8_t PicIrr(const KvmVm& vm, uint32_t which) {
    kvm_irqchip chip{};
    chip.chip_id = which;
    EXPECT_EQ(::ioctl(vm.fd(), KVM_GET_IRQCHIP, &chip), 0);
    return chip.chip.pic.irr;
  }
  // Raises `gsi`, reads where it arrived, lowers it again.
  struct Arrival {
    bool ioapic;
    bool pic;
  };
  static Arrival Probe(const KvmVm& vm, uint32_t gsi) {
    Line(vm, gsi, true);
    Arrival a{(IoapicIrr(vm) >> gsi & 1) != 0, false};
    if (gsi < 16) {
      const uint8_t irr = PicIrr(vm, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE);
      a.pic = (irr >> (gsi % 8) & 1) != 0;
    }
    Line(vm, gsi, false);
    return a;
  }
};

TEST_F(GsiRouterTest, DefaultTableMatchesKvmCreateIrqchip) {
  const auto table = GsiRouter::DefaultRoutes();
  EXPECT_EQ(table.size(), 16u * 2 + 8);
  int pic = 0, ioapic = 0;
  for (const auto& e : table) {
    ASSERT_EQ(e.type, static_cast<uint32_t>(KVM_IRQ_ROUTING_IRQCHIP));
    if (e.u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
      EXPECT_EQ(e.u.irqchip.pin, e.gsi);
      ++ioapic;
    } else {
      EXPECT_LT(e.gsi, 16u);
      EXPECT_EQ(e.u.irqchip.irqchip,
                static_cast<uint32_t>(e.gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE));
      EXPECT_EQ(e.u.irqchip.pin, e.gsi % 8);
      ++pic;
    }
  }
  EXPECT_EQ(pic, 16);
  EXPECT_EQ(ioapic, 24);
}

TEST_F(GsiRouterTest, LegacyLinesStillReachPicAndIoapicAfterCommits) {
  auto router = GsiRouter::Create(vm_->fd());
  ASSERT_TRUE(router.ok()) << router.status();
  auto gsi = (*router)->AllocateMsiGsi();
  ASSERT_TRUE(gsi.ok());
  EXPECT_EQ(*gsi, GsiRouter::kFirstMsiGsi);
  auto first = (*router)->SetMsiRoute(*gsi, 0xfee00000, 0x41);
  ASSERT_TRUE(first.ok()) << first;
  ASSERT_TRUE((*router)->ClearRoute(*gsi).ok());
  ASSERT_TRUE((*router)->SetMsiRoute(*gsi, 0xfee01000, 0x42).ok());
  EXPECT_EQ((*router)->commits(), 3);
  // Same message again: no ioctl.
  ASSERT_TRUE((*router)->SetMsiRoute(*gsi, 0xfee01000, 0x42).ok());
  EXPECT_EQ((*router)->commits(), 3);
  const auto table = (*router)->Table();
  ASSERT_EQ(table.size(), GsiRouter::DefaultRoutes().size() + 1);
  EXPECT_EQ(table.back().gsi, *gsi);
  EXPECT_EQ(table.back().type, static_cast<uint32_t>(KVM_IRQ_ROUTING_MSI));
  EXPECT_EQ(table.back().u.msi.address_lo, 0xfee01000u);
  EXPECT_EQ(table.back().u.msi.data, 0x42u);

  // The COM1 line (GSI 4), the ACPI SCI (9) and the PCI INTx lines (16..23)
  // arrive where they did before our first commit.
  for (uint32_t g : {4u, 9u}) {
    const Arrival a = Probe(*vm_, g);
    EXPECT_TRUE(a.ioapic) << "gsi " << g;
    EXPECT_TRUE(a.pic) << "gsi " << g;
  }
  for (uint32_t g = 16; g < 24; ++g) EXPECT_TRUE(Probe(*vm_, g).ioapic) << "gsi " << g;
}

// The control: a table without the defaults (what a naive
// KVM_SET_GSI_ROUTING with only MSI routes does) loses the lines, so the
// probe above can tell.
TEST_F(GsiRouterTest, ProbeSeesLinesLostWithoutDefaults) {
  ASSERT_TRUE(Probe(*vm_, 16).ioapic);  // KVM's own default table.
  kvm_irq_routing_entry e{};
  e.gsi = GsiRouter::kFirstMsiGsi;
  e.type = KVM_IRQ_ROUTING_MSI;
  e.u.msi.address_lo = 0xfee00000;
  e.u.msi.data = 0x41;
  std::vector<uint8_t> buf(kKvmIrqRoutingHeaderSize + sizeof(e), 0);
  buf[0] = 1;  // nr
  std::memcpy(buf.data() + kKvmIrqRoutingHeaderSize, &e, sizeof(e));
  const int r = ::ioctl(vm_->fd(), kKvmSetGsiRouting, buf.data());
  ASSERT_EQ(r, 0);
  EXPECT_FALSE(Probe(*vm_, 16).ioapic);
  EXPECT_FALSE(Probe(*vm_, 4).pic);
}

TEST_F(GsiRouterTest, RefusesGsisItDidNotHandOut) {
  auto router = GsiRouter::Create(vm_->fd());
  ASSERT_TRUE(router.ok()) << router.status();
  // An IOAPIC pin and a GSI never allocated.
  EXPECT_FALSE((*router)->SetMsiRoute(16, 0xfee00000, 0x41).ok());
  auto st = (*router)->SetMsiRoute(GsiRouter::kFirstMsiGsi + 5, 0xfee00000, 0x41);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("29"), std::string::npos) << st;
  EXPECT_EQ((*router)->commits(), 0);
  EXPECT_EQ((*router)->Table().size(), GsiRouter::DefaultRoutes().size());
}

}  // namespace
}  // namespace vmm
