#include "vmm/fdt/riscv_virt_fdt.h"

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "vmm/fdt/dtc_testutil.h"

namespace vmm {
namespace {

constexpr char kDtc[] = "/usr/bin/dtc";
constexpr char kQemu[] = "/usr/bin/qemu-system-riscv64";

// Node path -> compatible string ("" if none), parsed from dtc's output.
std::map<std::string, std::string> NodesAndCompatibles(const std::string& dts) {
  std::map<std::string, std::string> out;
  std::vector<std::string> stack;
  std::istringstream in(dts);
  std::string line;
  auto path = [&stack] {
    std::string p;
    for (size_t i = 1; i < stack.size(); ++i) p += "/" + stack[i];
    return p.empty() ? std::string("/") : p;
  };
  while (std::getline(in, line)) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (absl::EndsWith(l, " {")) {
      stack.emplace_back(l.substr(0, l.size() - 2));
      out.emplace(path(), "");
    } else if (l == "};") {
      if (!stack.empty()) stack.pop_back();
    } else if (absl::StartsWith(l, "compatible = ")) {
      // dtc prints string lists as "a\0b" or "a", "b"; normalise to the latter.
      out[path()] = absl::StrReplaceAll(l.substr(13), {{"\\0", "\", \""}});
    }
  }
  return out;
}

// dtc 1.6's interrupt_provider check wants #address-cells in every
// interrupt controller; QEMU's tree and the riscv,cpu-intc binding omit it
// for the per-hart controllers, and so do we. Every other warning counts.
std::string FilterKnownWarnings(const std::string& warnings) {
  std::string out;
  std::istringstream in(warnings);
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StrContains(line, "/interrupt-controller: Missing #address-cells")) continue;
    out += line + "\n";
  }
  return out;
}

std::string Dts(const RiscvVirtFdtConfig& config, std::string* warnings) {
  auto dtb = BuildRiscvVirtFdt(config);
  EXPECT_TRUE(dtb.ok()) << dtb.status();
  if (!dtb.ok()) return "";
  auto dts = DtbToDts(*dtb, warnings);
  *warnings = FilterKnownWarnings(*warnings);
  EXPECT_TRUE(dts.ok()) << dts.status();
  return dts.ok() ? *dts : "";
}

TEST(RiscvVirtFdtTest, ContentForTwoHarts) {
  if (!HaveTool(kDtc)) GTEST_SKIP() << "dtc missing: apt-get install device-tree-compiler";
  RiscvVirtFdtConfig config;
  config.harts = 2;
  config.memory_bytes = 256 << 20;
  config.bootargs = "console=ttyS0 earlycon";
  config.initrd_start = 0x88000000;
  config.initrd_end = 0x88100000;
  std::string warnings;
  std::string dts = Dts(config, &warnings);
  // dtc's checks (phandle references, unit addresses vs reg, #cells) are
  // silent on a well-formed tree.
  EXPECT_EQ(warnings, "");
  for (const char* want : {
           "bootargs = \"console=ttyS0 earlycon\";",
           "stdout-path = \"/soc/serial@10000000\";",
           "linux,initrd-start = <0x00 0x88000000>;",
           "linux,initrd-end = <0x00 0x88100000>;",
           "reg = <0x00 0x80000000 0x00 0x10000000>;",
           "timebase-frequency = <0x989680>;",
           "cpu@1 {",
           "riscv,isa = \"rv64imafdc_zicsr_zifencei\";",
           "mmu-type = \"riscv,sv48\";",
           "core1 {",
           "riscv,ndev = <0x5f>;",
           "reg = <0x00 0xc000000 0x00 0x600000>;",
           // M and S external interrupts for hart 0 (intc phandle 2) and
           // hart 1 (intc phandle 4): contexts 0..3.
           "interrupts-extended = <0x02 0x0b 0x02 0x09 0x04 0x0b 0x04 0x09>;",
           "interrupts-extended = <0x02 0x03 0x02 0x07 0x04 0x03 0x04 0x07>;",
           "virtio_mmio@10008000 {",
           "virtio_mmio@10001000 {",
           "interrupts = <0x0a>;",
           "value = <0x5555>;",
           "value = <0x7777>;",
       }) {
    EXPECT_TRUE(absl::StrContains(dts, want)) << want << "\n" << dts;
  }
}

TEST(RiscvVirtFdtTest, RejectsBadConfig) {
  RiscvVirtFdtConfig c;
  c.harts = 0;
  EXPECT_FALSE(BuildRiscvVirtFdt(c).ok());
  c.harts = riscv_virt::kMaxHarts + 1;
  EXPECT_FALSE(BuildRiscvVirtFdt(c).ok());
  c = RiscvVirtFdtConfig();
  c.mmu_type = "riscv,sv57";
  EXPECT_FALSE(BuildRiscvVirtFdt(c).ok());
  c = RiscvVirtFdtConfig();
  c.initrd_start = 0x1000;
  EXPECT_FALSE(BuildRiscvVirtFdt(c).ok());
  c.initrd_end = 0x800;
  EXPECT_FALSE(BuildRiscvVirtFdt(c).ok());
  c = RiscvVirtFdtConfig();
  c.virtio_slots = 9;
  EXPECT_FALSE(BuildRiscvVirtFdt(c).ok());
  c = RiscvVirtFdtConfig();
  c.memory_bytes = 0;
  EXPECT_FALSE(BuildRiscvVirtFdt(c).ok());
  c = RiscvVirtFdtConfig();
  c.isa = "rv32imac";
  EXPECT_FALSE(BuildRiscvVirtFdt(c).ok());
}

// The machine tells Linux about F/D only when the JIT has them.
TEST(RiscvVirtFdtTest, IsaStringIsConfigurable) {
  if (!HaveTool(kDtc)) GTEST_SKIP() << "dtc missing";
  RiscvVirtFdtConfig config;
  config.isa = "rv64imac_zicsr_zifencei";
  std::string warnings;
  std::string dts = Dts(config, &warnings);
  EXPECT_TRUE(absl::StrContains(dts, "riscv,isa = \"rv64imac_zicsr_zifencei\";")) << dts;
  EXPECT_FALSE(absl::StrContains(dts, "rv64imafdc"));
}

TEST(RiscvVirtFdtTest, ManyHartsStillValid) {
  if (!HaveTool(kDtc)) GTEST_SKIP() << "dtc missing";
  RiscvVirtFdtConfig c;
  c.harts = riscv_virt::kMaxHarts;
  std::string warnings;
  std::string dts = Dts(c, &warnings);
  EXPECT_EQ(warnings, "");
  EXPECT_TRUE(absl::StrContains(dts, "cpu@3f {"));
  EXPECT_TRUE(absl::StrContains(dts, "core63 {"));
}

// Same nodes and compatible strings as QEMU's own `virt` tree, apart from
// devices we deliberately do not model.
TEST(RiscvVirtFdtTest, MatchesQemuNodesAndCompatibles) {
  if (!HaveTool(kDtc) || !HaveTool(kQemu)) {
    GTEST_SKIP() << "needs dtc and qemu-system-riscv64 (reference only)";
  }
  const char* tmp = getenv("TEST_TMPDIR");
  std::string qdtb = absl::StrCat(tmp ? tmp : "/tmp", "/qemu_virt.dtb");
  auto run = RunCommand(absl::StrCat(kQemu, " -M virt,dumpdtb=", qdtb,
                                     " -smp 2 -m 256 -nographic -display none 2>&1"));
  ASSERT_TRUE(run.ok()) << run.status();
  auto qdts = RunCommand(absl::StrCat(kDtc, " -I dtb -O dts ", qdtb, " 2>/dev/null"));
  ASSERT_TRUE(qdts.ok()) << qdts.status();
  std::map<std::string, std::string> qemu = NodesAndCompatibles(*qdts);

  RiscvVirtFdtConfig c;
  c.harts = 2;
  std::string warnings;
  std::map<std::string, std::string> ours = NodesAndCompatibles(Dts(c, &warnings));

  // Not modelled: PMU description, fw_cfg, flash, platform bus, goldfish RTC,
  // PCIe host.
  const std::set<std::string> skipped_prefixes = {
      "/pmu", "/fw-cfg@", "/flash@", "/platform-bus@", "/soc/rtc@", "/soc/pci@"};
  auto skipped = [&](const std::string& path) {
    for (const std::string& p : skipped_prefixes) {
      if (absl::StartsWith(path, p)) return true;
    }
    return false;
  };
  ASSERT_GT(qemu.size(), 20u) << *qdts;
  for (const auto& [path, compat] : qemu) {
    if (skipped(path)) continue;
    auto it = ours.find(path);
    ASSERT_NE(it, ours.end()) << "missing node " << path;
    EXPECT_EQ(it->second, compat) << path;
  }
  for (const auto& [path, compat] : ours) {
    EXPECT_TRUE(qemu.count(path)) << "node QEMU does not have: " << path;
  }
}

}  // namespace
}  // namespace vmm
