#include "tools/vmctl/args.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace vmctl {
namespace {

absl::StatusOr<Invocation> Parse(std::vector<std::string> args) { return ParseArgs(args); }

TEST(ParseArgs, GlobalOptionsAnywhere) {
  auto inv = Parse({"--socket", "/tmp/s.sock", "get", "web1", "--json"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, Command::kGet);
  EXPECT_EQ(inv->vm, "web1");
  EXPECT_EQ(inv->conn.socket, "/tmp/s.sock");
  EXPECT_TRUE(inv->json);
  EXPECT_FALSE(inv->vm_is_id);
}

TEST(ParseArgs, DefaultSocketAndEqualsForm) {
  auto inv = Parse({"list"});
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->conn.socket, "/run/vmmd/vmmd.sock");
  inv = Parse({"--socket=/x.sock", "list"});
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->conn.socket, "/x.sock");
}

TEST(ParseArgs, UsageErrors) {
  EXPECT_FALSE(Parse({}).ok());
  EXPECT_FALSE(Parse({"frobnicate"}).ok());
  EXPECT_FALSE(Parse({"start"}).ok());            // Missing VM.
  EXPECT_FALSE(Parse({"start", "a", "b"}).ok());  // Too many.
  EXPECT_FALSE(Parse({"list", "x"}).ok());
  EXPECT_FALSE(Parse({"list", "--bogus"}).ok());
  EXPECT_FALSE(Parse({"list", "--socket"}).ok());       // Needs a value.
  EXPECT_FALSE(Parse({"list", "--json=yes"}).ok());     // Takes none.
  EXPECT_FALSE(Parse({"start", "a", "--force"}).ok());  // stop only.
  EXPECT_FALSE(Parse({"list", "--id"}).ok());
  EXPECT_FALSE(Parse({"get", "a", "--vcpus", "2"}).ok());
  auto bad = Parse({"stop", "a", "--timeout-ms", "-5"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--timeout-ms=-5"), std::string::npos) << bad.status();
  EXPECT_FALSE(Parse({"stop", "a", "--timeout-ms", "99999999999"}).ok());
}

TEST(ParseArgs, Help) {
  auto inv = Parse({"--help"});
  ASSERT_TRUE(inv.ok());
  EXPECT_TRUE(inv->help);
  inv = Parse({"-h"});
  ASSERT_TRUE(inv.ok());
  EXPECT_TRUE(inv->help);
  EXPECT_NE(Usage().find("console VM"), std::string::npos);
}

TEST(ParseArgs, Stop) {
  auto inv = Parse({"stop", "web1", "--timeout-ms", "2500", "--force"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, Command::kStop);
  EXPECT_EQ(inv->timeout_ms, 2500u);
  EXPECT_TRUE(inv->force);
}

TEST(ParseArgs, ConsoleAndWatch) {
  auto inv = Parse({"console", "--replay", "--timeout-ms=300", "--id", "abc"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, Command::kConsole);
  EXPECT_TRUE(inv->replay);
  EXPECT_EQ(inv->console_timeout_ms, 300u);
  EXPECT_EQ(inv->timeout_ms, 0u);
  EXPECT_TRUE(inv->vm_is_id);
  EXPECT_EQ(inv->vm, "abc");
  inv = Parse({"watch"});
  ASSERT_TRUE(inv.ok());
  EXPECT_TRUE(inv->vm.empty());
  inv = Parse({"watch", "web1"});
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->vm, "web1");
}

TEST(ParseArgs, TlsOptions) {
  auto inv = Parse({"--server", "h:7000", "--tls-ca", "ca.pem", "--tls-cert", "c.pem", "--tls-key",
                    "k.pem", "list"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->conn.server, "h:7000");
  EXPECT_EQ(inv->conn.tls_key, "k.pem");
  EXPECT_FALSE(Parse({"--server", "h:7000", "list"}).ok());  // No CA.
  EXPECT_FALSE(Parse({"--server", "h:1", "--tls-ca", "a", "--tls-cert", "c", "list"})
                   .ok());  // Cert without key.
  // A CA alone is allowed (the daemon then refuses: no client cert).
  EXPECT_TRUE(Parse({"--server", "h:1", "--tls-ca", "a", "list"}).ok());
}

TEST(ParseArgs, CreateFromFlags) {
  auto inv = Parse({"create",
                    "--name",
                    "web1",
                    "--arch",
                    "riscv64",
                    "--vcpus",
                    "2",
                    "--memory-mib",
                    "512",
                    "--kernel",
                    "/k",
                    "--initrd",
                    "/i",
                    "--cmdline",
                    "console=ttyS0 quiet",
                    "--accel",
                    "tcg",
                    "--disk",
                    "path=/a.img,ro,serial=S1",
                    "--disk",
                    "/b.img,cache=none,queues=2",
                    "--nic",
                    "tap=tap0,mac=52:54:00:00:00:01",
                    "--vsock-cid",
                    "3"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  auto spec = BuildCreateSpec(inv->create, "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name(), "web1");
  EXPECT_EQ(spec->arch(), vmm::v1::RISCV64);
  EXPECT_EQ(spec->vcpus(), 2u);
  EXPECT_EQ(spec->memory_mib(), 512u);
  EXPECT_EQ(spec->accelerator(), vmm::v1::TCG);
  ASSERT_TRUE(spec->boot().has_kernel());
  EXPECT_EQ(spec->boot().kernel().kernel_path(), "/k");
  EXPECT_EQ(spec->boot().kernel().initrd_path(), "/i");
  EXPECT_EQ(spec->boot().kernel().cmdline(), "console=ttyS0 quiet");
  ASSERT_EQ(spec->disks_size(), 2);
  EXPECT_EQ(spec->disks(0).path(), "/a.img");
  EXPECT_TRUE(spec->disks(0).read_only());
  EXPECT_EQ(spec->disks(0).serial(), "S1");
  EXPECT_EQ(spec->disks(1).path(), "/b.img");
  EXPECT_FALSE(spec->disks(1).read_only());
  EXPECT_EQ(spec->disks(1).cache(), vmm::v1::NONE);
  EXPECT_EQ(spec->disks(1).num_queues(), 2u);
  ASSERT_EQ(spec->nics_size(), 1);
  EXPECT_EQ(spec->nics(0).tap(), "tap0");
  EXPECT_EQ(spec->nics(0).mac(), "52:54:00:00:00:01");
  ASSERT_TRUE(spec->has_vsock());
  EXPECT_EQ(spec->vsock().guest_cid(), 3u);
}

TEST(ParseArgs, CreateDefaultsAndPositionalName) {
  auto inv = Parse({"create", "demo", "--payload", "/p.bin"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  auto spec = BuildCreateSpec(inv->create, "");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->name(), "demo");
  EXPECT_EQ(spec->arch(), vmm::v1::X86_64);
  EXPECT_EQ(spec->vcpus(), 1u);
  EXPECT_EQ(spec->memory_mib(), 256u);
  EXPECT_EQ(spec->accelerator(), vmm::v1::AUTO);
  EXPECT_EQ(spec->boot().payload().path(), "/p.bin");
  EXPECT_FALSE(spec->has_vsock());
}

TEST(ParseArgs, CreateRules) {
  EXPECT_FALSE(Parse({"create", "--payload", "/p"}).ok());  // No name.
  EXPECT_FALSE(Parse({"create", "x"}).ok());                // No boot.
  EXPECT_FALSE(Parse({"create", "x", "--payload", "/p", "--kernel", "/k"}).ok());
  EXPECT_FALSE(Parse({"create", "x", "--initrd", "/i", "--payload", "/p"}).ok());
  EXPECT_FALSE(Parse({"create", "x", "--name", "y", "--payload", "/p"}).ok());
  EXPECT_FALSE(Parse({"create", "x", "--payload", "/p", "--arch", "arm"}).ok());
  EXPECT_FALSE(Parse({"create", "x", "--payload", "/p", "--accel", "hvf"}).ok());
  EXPECT_FALSE(Parse({"create", "x", "--payload", "/p", "--vcpus", "two"}).ok());
  EXPECT_FALSE(Parse({"create", "x", "--payload", "/p", "--vsock-uds", "/s"}).ok());
  // Out-of-range values are the daemon's to refuse, with its own message.
  EXPECT_TRUE(Parse({"create", "x", "--payload", "/p", "--vcpus", "0"}).ok());
}

TEST(ParseArgs, SpecFileWithOverrides) {
  auto inv = Parse({"create", "--spec", "vm.json", "--vcpus", "4"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  auto spec = BuildCreateSpec(inv->create, R"({
      "name": "fromfile", "arch": "X86_64", "vcpus": 1, "memory_mib": 64,
      "boot": {"kernel": {"kernel_path": "/k", "cmdline": "a"}},
      "disks": [{"path": "/d.img"}]})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name(), "fromfile");
  EXPECT_EQ(spec->vcpus(), 4u);
  EXPECT_EQ(spec->memory_mib(), 64u);
  EXPECT_EQ(spec->boot().kernel().cmdline(), "a");
  EXPECT_EQ(spec->disks_size(), 1);

  auto bad = BuildCreateSpec(inv->create, R"({"vcpus": "many"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("vm.json"), std::string::npos);
  EXPECT_FALSE(BuildCreateSpec(inv->create, R"({"nosuchfield": 1})").ok());
}

TEST(ParseArgs, X86Entry) {
  auto inv = Parse({"create", "x", "--kernel", "/bzImage", "--x86-entry", "64"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  auto spec = BuildCreateSpec(inv->create, "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->boot().kernel().x86_entry(), vmm::v1::X86_ENTRY_64BIT);
  inv = Parse({"create", "x", "--kernel", "/bzImage", "--x86-entry", "32"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  spec = BuildCreateSpec(inv->create, "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->boot().kernel().x86_entry(), vmm::v1::X86_ENTRY_32BIT);
  // Without the flag the field stays at its default (the daemon's 32-bit).
  inv = Parse({"create", "x", "--kernel", "/bzImage"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  spec = BuildCreateSpec(inv->create, "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->boot().kernel().x86_entry(), vmm::v1::X86_ENTRY_DEFAULT);

  auto bad = Parse({"create", "x", "--kernel", "/k", "--x86-entry", "16"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "--x86-entry=16: must be 32 (startup_32, the default) or 64 (startup_64)");
  EXPECT_FALSE(Parse({"create", "x", "--payload", "/p", "--x86-entry", "64"}).ok());
  EXPECT_FALSE(Parse({"create", "x", "--x86-entry", "64"}).ok());  // No --kernel.
  EXPECT_FALSE(Parse({"start", "x", "--x86-entry", "64"}).ok());   // create only.

  // The --spec JSON form, and the flag overriding it.
  inv = Parse({"create", "--spec", "vm.json"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  const char* json = R"({"name": "b64", "arch": "X86_64", "vcpus": 1, "memory_mib": 256,
      "boot": {"kernel": {"kernel_path": "/bzImage", "x86_entry": "X86_ENTRY_64BIT"}}})";
  spec = BuildCreateSpec(inv->create, json);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->boot().kernel().x86_entry(), vmm::v1::X86_ENTRY_64BIT);
  EXPECT_EQ(spec->boot().kernel().kernel_path(), "/bzImage");
  inv = Parse({"create", "--spec", "vm.json", "--x86-entry", "32"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  spec = BuildCreateSpec(inv->create, json);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->boot().kernel().x86_entry(), vmm::v1::X86_ENTRY_32BIT);
  EXPECT_EQ(spec->boot().kernel().kernel_path(), "/bzImage");
}

TEST(ParseDisk, Errors) {
  EXPECT_FALSE(ParseDisk("ro").ok());  // No path.
  EXPECT_FALSE(ParseDisk("path=/a,bogus").ok());
  EXPECT_FALSE(ParseDisk("path=/a,cache=sometimes").ok());
  EXPECT_FALSE(ParseDisk("path=/a,queues=-1").ok());
  EXPECT_FALSE(ParseDisk("path=/a,colour=red").ok());
  EXPECT_TRUE(ParseDisk("path=/a,rw").ok());
}

TEST(ParseNic, Forms) {
  auto empty = ParseNic("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->tap().empty());
  auto nic = ParseNic("mac=52:54:00:12:34:56,queues=2,mtu=9000");
  ASSERT_TRUE(nic.ok()) << nic.status();
  EXPECT_EQ(nic->num_queue_pairs(), 2u);
  EXPECT_EQ(nic->mtu(), 9000u);
  EXPECT_FALSE(ParseNic("tap").ok());
  EXPECT_FALSE(ParseNic("bridge=br0").ok());
}

TEST(LooksLikeName, Rules) {
  EXPECT_TRUE(LooksLikeName("web1"));
  EXPECT_TRUE(LooksLikeName("a.b_c-d"));
  EXPECT_FALSE(LooksLikeName(""));
  EXPECT_FALSE(LooksLikeName("-x"));
  EXPECT_FALSE(LooksLikeName("a/b"));
  EXPECT_FALSE(LooksLikeName(std::string(64, 'a')));
  EXPECT_TRUE(LooksLikeName(std::string(63, 'a')));
}

}  // namespace
}  // namespace vmctl
