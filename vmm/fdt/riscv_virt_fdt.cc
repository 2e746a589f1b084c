#include "vmm/fdt/riscv_virt_fdt.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "vmm/fdt/fdt_builder.h"

namespace vmm {
namespace {

using namespace riscv_virt;  // NOLINT: the memory map constants.

// Local interrupt numbers on a hart's riscv,cpu-intc (privileged spec,
// mip/mie bits): M software 3, M timer 7, S/M external 9/11. The S-mode
// software and timer interrupts come from SBI, not from a device.
constexpr uint32_t kIrqMSoft = 3, kIrqMTimer = 7;
constexpr uint32_t kIrqSExt = 9, kIrqMExt = 11;

std::string Hex(uint64_t v) { return absl::StrFormat("%x", v); }

// reg = <addr-hi addr-lo size-hi size-lo> with #address-cells = #size-cells = 2.
void Reg(FdtBuilder& b, uint64_t base, uint64_t size) {
  b.PropertyCells("reg", {static_cast<uint32_t>(base >> 32), static_cast<uint32_t>(base),
                          static_cast<uint32_t>(size >> 32), static_cast<uint32_t>(size)});
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> BuildRiscvVirtFdt(const RiscvVirtFdtConfig& config) {
  if (config.harts < 1 || config.harts > kMaxHarts) {
    return absl::InvalidArgumentError(
        absl::StrCat("harts=", config.harts, ": must be 1..", kMaxHarts));
  }
  if (config.memory_bytes == 0 || config.memory_bytes > (uint64_t{1} << 40)) {
    return absl::InvalidArgumentError(
        absl::StrCat("memory_bytes=", config.memory_bytes, ": must be 1..2^40"));
  }
  if (config.isa.rfind("rv64i", 0) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("isa=", config.isa, ": must start with rv64i (e.g. rv64imac_zicsr)"));
  }
  if (config.mmu_type != "riscv,sv39" && config.mmu_type != "riscv,sv48") {
    return absl::InvalidArgumentError(
        absl::StrCat("mmu_type=", config.mmu_type, ": must be riscv,sv39 or riscv,sv48"));
  }
  if (config.virtio_slots < 0 || config.virtio_slots > kVirtioCount) {
    return absl::InvalidArgumentError(
        absl::StrCat("virtio_slots=", config.virtio_slots, ": must be 0..", kVirtioCount));
  }
  if (config.initrd_start.has_value() != config.initrd_end.has_value() ||
      (config.initrd_start && *config.initrd_end < *config.initrd_start)) {
    return absl::InvalidArgumentError("initrd: start and end must both be set, start <= end");
  }

  FdtBuilder b;
  std::vector<uint32_t> intc_phandle(config.harts);
  std::vector<uint32_t> cpu_phandle(config.harts);
  for (int i = 0; i < config.harts; ++i) {
    cpu_phandle[i] = b.AllocatePhandle();
    intc_phandle[i] = b.AllocatePhandle();
  }
  const uint32_t plic_phandle = b.AllocatePhandle();
  const uint32_t test_phandle = b.AllocatePhandle();

  b.BeginNode("");
  b.PropertyU32("#address-cells", 2);
  b.PropertyU32("#size-cells", 2);
  b.PropertyString("compatible", "riscv-virtio");
  b.PropertyString("model", "riscv-virtio,qemu");

  b.BeginNode("chosen");
  if (!config.bootargs.empty()) b.PropertyString("bootargs", config.bootargs);
  b.PropertyString("stdout-path", absl::StrCat("/soc/serial@", Hex(kUartBase)));
  if (config.initrd_start) {
    b.PropertyU64("linux,initrd-start", *config.initrd_start);
    b.PropertyU64("linux,initrd-end", *config.initrd_end);
  }
  b.EndNode();

  // Power control through the sifive,test0 syscon, as QEMU describes it
  // (Linux drivers/power/reset/syscon-{poweroff,reboot}.c).
  b.BeginNode("poweroff");
  b.PropertyU32("value", 0x5555);
  b.PropertyU32("offset", 0);
  b.PropertyU32("regmap", test_phandle);
  b.PropertyString("compatible", "syscon-poweroff");
  b.EndNode();
  b.BeginNode("reboot");
  b.PropertyU32("value", 0x7777);
  b.PropertyU32("offset", 0);
  b.PropertyU32("regmap", test_phandle);
  b.PropertyString("compatible", "syscon-reboot");
  b.EndNode();

  b.BeginNode(absl::StrCat("memory@", Hex(kDramBase)));
  b.PropertyString("device_type", "memory");
  Reg(b, kDramBase, config.memory_bytes);
  b.EndNode();

  b.BeginNode("cpus");
  b.PropertyU32("#address-cells", 1);
  b.PropertyU32("#size-cells", 0);
  b.PropertyU32("timebase-frequency", kTimebaseHz);
  for (int i = 0; i < config.harts; ++i) {
    b.BeginNode(absl::StrCat("cpu@", Hex(i)));
    b.PropertyU32("phandle", cpu_phandle[i]);
    b.PropertyString("device_type", "cpu");
    b.PropertyU32("reg", static_cast<uint32_t>(i));
    b.PropertyString("status", "okay");
    b.PropertyString("compatible", "riscv");
    b.PropertyString("riscv,isa", config.isa);
    b.PropertyString("mmu-type", config.mmu_type);
    b.BeginNode("interrupt-controller");
    b.PropertyU32("#interrupt-cells", 1);
    b.PropertyEmpty("interrupt-controller");
    b.PropertyString("compatible", "riscv,cpu-intc");
    b.PropertyU32("phandle", intc_phandle[i]);
    b.EndNode();
    b.EndNode();
  }
  // One cluster of single-thread cores (Documentation/devicetree/bindings/
  // cpu/cpu-topology.txt), as QEMU emits for one socket.
  b.BeginNode("cpu-map");
  b.BeginNode("cluster0");
  for (int i = 0; i < config.harts; ++i) {
    b.BeginNode(absl::StrCat("core", i));
    b.PropertyU32("cpu", cpu_phandle[i]);
    b.EndNode();
  }
  b.EndNode();
  b.EndNode();
  b.EndNode();  // cpus

  b.BeginNode("soc");
  b.PropertyU32("#address-cells", 2);
  b.PropertyU32("#size-cells", 2);
  b.PropertyString("compatible", "simple-bus");
  b.PropertyEmpty("ranges");

  b.BeginNode(absl::StrCat("serial@", Hex(kUartBase)));
  b.PropertyU32("interrupts", kUartIrq);
  b.PropertyU32("interrupt-parent", plic_phandle);
  b.PropertyU32("clock-frequency", kUartClockHz);
  Reg(b, kUartBase, kUartSize);
  b.PropertyString("compatible", "ns16550a");
  b.EndNode();

  b.BeginNode(absl::StrCat("test@", Hex(kTestBase)));
  b.PropertyU32("phandle", test_phandle);
  Reg(b, kTestBase, kTestSize);
  b.PropertyStringList("compatible", {"sifive,test1", "sifive,test0", "syscon"});
  b.EndNode();

  // QEMU lists the slots from the highest address down, so Linux probes
  // (and names vda) the lowest slot last; we keep its order so disks get
  // the same names under both.
  for (int i = config.virtio_slots - 1; i >= 0; --i) {
    uint64_t base = kVirtioBase + kVirtioStride * static_cast<uint64_t>(i);
    b.BeginNode(absl::StrCat("virtio_mmio@", Hex(base)));
    b.PropertyU32("interrupts", kVirtioIrqBase + static_cast<uint32_t>(i));
    b.PropertyU32("interrupt-parent", plic_phandle);
    Reg(b, base, kVirtioStride);
    b.PropertyString("compatible", "virtio,mmio");
    b.EndNode();
  }

  // PLIC contexts: hart N M-mode = 2N (MEIP), S-mode = 2N+1 (SEIP).
  b.BeginNode(absl::StrCat("plic@", Hex(kPlicBase)));
  b.PropertyU32("phandle", plic_phandle);
  b.PropertyU32("riscv,ndev", kPlicNumSources - 1);  // Source 0 is reserved.
  Reg(b, kPlicBase, kPlicSize);
  {
    std::vector<uint32_t> ext;
    for (int i = 0; i < config.harts; ++i) {
      ext.insert(ext.end(), {intc_phandle[i], kIrqMExt, intc_phandle[i], kIrqSExt});
    }
    b.PropertyCells("interrupts-extended", ext);
  }
  b.PropertyEmpty("interrupt-controller");
  b.PropertyStringList("compatible", {"sifive,plic-1.0.0", "riscv,plic0"});
  b.PropertyU32("#address-cells", 0);
  b.PropertyU32("#interrupt-cells", 1);
  b.EndNode();

  b.BeginNode(absl::StrCat("clint@", Hex(kClintBase)));
  {
    std::vector<uint32_t> ext;
    for (int i = 0; i < config.harts; ++i) {
      ext.insert(ext.end(), {intc_phandle[i], kIrqMSoft, intc_phandle[i], kIrqMTimer});
    }
    b.PropertyCells("interrupts-extended", ext);
  }
  Reg(b, kClintBase, kClintSize);
  b.PropertyStringList("compatible", {"sifive,clint0", "riscv,clint0"});
  b.EndNode();

  b.EndNode();  // soc
  b.EndNode();  // root
  return b.Finish();
}

}  // namespace vmm
