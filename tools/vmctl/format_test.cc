#include "tools/vmctl/format.h"

#include <string>

#include "gtest/gtest.h"

namespace vmctl {
namespace {

vmm::v1::Vm MakeVm() {
  vmm::v1::Vm vm;
  vm.set_id("vm-0123abcd");
  vm.mutable_spec()->set_name("web1");
  vm.mutable_spec()->set_arch(vmm::v1::X86_64);
  vm.mutable_spec()->set_vcpus(2);
  vm.mutable_spec()->set_memory_mib(512);
  vm.mutable_spec()->mutable_boot()->mutable_payload()->set_path("/p.bin");
  vm.mutable_status()->set_state(vmm::v1::RUNNING);
  vm.mutable_status()->set_reason(vmm::v1::BOOTED);
  vm.mutable_status()->set_accelerator(vmm::v1::KVM);
  vm.mutable_status()->set_worker_pid(4242);
  vm.mutable_status()->mutable_state_since()->set_seconds(1795000000);
  return vm;
}

TEST(Names, LowerCaseAndDash) {
  EXPECT_EQ(StateName(vmm::v1::SHUTOFF), "shutoff");
  EXPECT_EQ(StateName(vmm::v1::STATE_UNSPECIFIED), "-");
  EXPECT_EQ(ReasonName(vmm::v1::GUEST_SHUTDOWN), "guest_shutdown");
  EXPECT_EQ(ReasonName(vmm::v1::REASON_UNSPECIFIED), "-");
  EXPECT_EQ(AccelName(vmm::v1::AUTO), "auto");
  EXPECT_EQ(ArchName(vmm::v1::RISCV64), "riscv64");
  // Values from a newer daemon that this build does not know yet.
  EXPECT_EQ(StateName(static_cast<vmm::v1::State>(99)), "-");
}

TEST(FormatTable, AlignsColumns) {
  EXPECT_EQ(FormatTable({{"A", "BB", "C"}, {"long", "x", "y"}}),
            "A     BB  C\n"
            "long  x   y\n");
  EXPECT_EQ(FormatTable({}), "");
}

TEST(FormatVmTable, HeaderAndRows) {
  vmm::v1::Vm stopped = MakeVm();
  stopped.mutable_spec()->set_name("db");
  stopped.set_id("vm-2");
  stopped.mutable_spec()->set_accelerator(vmm::v1::TCG);
  stopped.mutable_status()->set_state(vmm::v1::SHUTOFF);
  stopped.mutable_status()->set_reason(vmm::v1::USER_STOPPED);
  std::string table = FormatVmTable({MakeVm(), stopped});
  EXPECT_EQ(table,
            "NAME  ID           STATE    REASON        VCPUS  MEMORY  ACCEL\n"
            "web1  vm-0123abcd  running  booted        2      512MiB  kvm\n"
            "db    vm-2         shutoff  user_stopped  2      512MiB  tcg\n");
  EXPECT_EQ(FormatVmTable({}), "NAME  ID  STATE  REASON  VCPUS  MEMORY  ACCEL\n");
}

TEST(FormatVmDetails, ShowsEverything) {
  vmm::v1::Vm vm = MakeVm();
  auto* disk = vm.mutable_spec()->add_disks();
  disk->set_path("/d.img");
  disk->set_read_only(true);
  disk->set_serial("SER");
  vm.mutable_counters()->add_disks()->set_read_requests(7);
  vm.mutable_spec()->mutable_vsock()->set_guest_cid(3);
  std::string d = FormatVmDetails(vm);
  for (const char* want :
       {"Name:         web1\n", "ID:           vm-0123abcd\n", "State:        running (booted)\n",
        "State since:  2026-11-18T11:06:40.000Z\n", "Accelerator:  kvm (requested auto)\n",
        "Boot:         payload /p.bin\n", "Disk 0:       /d.img ro serial=SER reads=7/",
        "Vsock:        cid=3 uds=(default)\n", "Worker PID:   4242\n", "Created:      -\n"}) {
    EXPECT_NE(d.find(want), std::string::npos) << "missing " << want << " in\n" << d;
  }
}

TEST(FormatVmDetails, KernelBootShowsTheX86Entry) {
  vmm::v1::Vm vm = MakeVm();
  auto* k = vm.mutable_spec()->mutable_boot()->mutable_kernel();
  k->set_kernel_path("/bzImage");
  k->set_cmdline("console=ttyS0");
  EXPECT_NE(FormatVmDetails(vm).find("Boot:         kernel /bzImage cmdline \"console=ttyS0\"\n"),
            std::string::npos)
      << "the default entry is not shown:\n" << FormatVmDetails(vm);
  k->set_x86_entry(vmm::v1::X86_ENTRY_64BIT);
  EXPECT_NE(FormatVmDetails(vm).find(
                "Boot:         kernel /bzImage x86-entry 64 cmdline \"console=ttyS0\"\n"),
            std::string::npos)
      << FormatVmDetails(vm);
  k->set_x86_entry(vmm::v1::X86_ENTRY_32BIT);
  EXPECT_NE(FormatVmDetails(vm).find("kernel /bzImage x86-entry 32 cmdline"), std::string::npos)
      << FormatVmDetails(vm);
}

TEST(FormatEvent, Lines) {
  vmm::v1::VmEvent ev;
  ev.set_vm_id("vm-1");
  ev.set_vm_name("web1");
  ev.mutable_status()->set_state(vmm::v1::CRASHED);
  ev.mutable_status()->set_reason(vmm::v1::WORKER_DIED);
  ev.mutable_status()->set_message("killed by signal 9");
  ev.mutable_status()->mutable_state_since()->set_seconds(0);
  EXPECT_EQ(FormatEvent(ev), "- web1 vm-1 crashed worker_died killed by signal 9\n");
  ev.set_deleted(true);
  EXPECT_EQ(FormatEvent(ev), "- web1 vm-1 deleted\n");
}

TEST(ToJsonLine, OneLineWithDefaults) {
  vmm::v1::Vm vm = MakeVm();
  auto json = ToJsonLine(vm);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->find('\n'), json->size() - 1);
  EXPECT_NE(json->find(R"("state":"RUNNING")"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("memory_mib":"512")"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("boot_count":0)"), std::string::npos) << *json;
  vmm::v1::ListVmsResponse empty;
  auto list = ToJsonLine(empty);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, "{\"vms\":[]}\n");
}

}  // namespace
}  // namespace vmctl
