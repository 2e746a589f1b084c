// Tap backend errors and lifetime, in a private network namespace.
#include "devices/virtio/net/tap.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include <cstring>

#include "gtest/gtest.h"
#include "tests/net/net_rig.h"

namespace vmm {
namespace virtio {
namespace {

class TapTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(net_testing::EnterNewNetns().ok()); }
};

TEST_F(TapTest, CreatedTapGoesAwayWithTheObject) {
  TapOptions o;
  o.vm_id = 42;
  o.nic_index = 3;
  {
    absl::StatusOr<Tap> tap = Tap::Open(o);
    ASSERT_TRUE(tap.ok()) << tap.status();
    EXPECT_EQ(tap->name(), "vmm42-3");
    EXPECT_TRUE(tap->created());
    EXPECT_TRUE(InterfaceExists("vmm42-3"));
    EXPECT_TRUE(tap->SetOffload(true, true, true, true).ok());
  }
  EXPECT_FALSE(InterfaceExists("vmm42-3"));
}

TEST_F(TapTest, MultiQueue) {
  TapOptions o;
  o.name = "mq0";
  o.num_queues = 4;
  absl::StatusOr<Tap> tap = Tap::Open(o);
  ASSERT_TRUE(tap.ok()) << tap.status();
  EXPECT_EQ(tap->num_queues(), 4);
  EXPECT_TRUE(tap->SetQueueEnabled(3, false).ok());
  EXPECT_TRUE(tap->SetQueueEnabled(3, true).ok());
}

TEST_F(TapTest, ClearErrors) {
  TapOptions o;
  o.name = "this-name-is-too-long";
  absl::StatusOr<Tap> tap = Tap::Open(o);
  EXPECT_EQ(tap.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(tap.status().message().find("at most 15"), std::string::npos);

  o.name = "lo";
  tap = Tap::Open(o);
  EXPECT_EQ(tap.status().code(), absl::StatusCode::kAlreadyExists) << tap.status();
  o.mode = TapOptions::Mode::kAttach;
  tap = Tap::Open(o);
  EXPECT_EQ(tap.status().code(), absl::StatusCode::kInvalidArgument) << tap.status();
  EXPECT_NE(tap.status().message().find("not a tap"), std::string::npos);

  o.name = "nosuch0";
  tap = Tap::Open(o);
  EXPECT_EQ(tap.status().code(), absl::StatusCode::kNotFound) << tap.status();
  EXPECT_NE(tap.status().message().find("ip tuntap add"), std::string::npos);

  // A single-queue tap held by someone else is busy.
  TapOptions first;
  first.name = "busy0";
  absl::StatusOr<Tap> holder = Tap::Open(first);
  ASSERT_TRUE(holder.ok());
  o.name = "busy0";
  tap = Tap::Open(o);
  EXPECT_FALSE(tap.ok());
  EXPECT_NE(tap.status().message().find("busy"), std::string::npos) << tap.status();
}

TEST_F(TapTest, AttachLeavesPersistentTap) {
  // Made like `ip tuntap add per0 mode tap`: persistent, no fd held.
  {
    Fd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    ifreq r;
    std::memset(&r, 0, sizeof(r));
    std::strcpy(r.ifr_name, "per0");
    r.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    ASSERT_EQ(::ioctl(fd.get(), TUNSETIFF, &r), 0);
    ASSERT_EQ(::ioctl(fd.get(), TUNSETPERSIST, 1), 0);
  }
  TapOptions o;
  o.name = "per0";
  o.mode = TapOptions::Mode::kAttach;
  {
    absl::StatusOr<Tap> tap = Tap::Open(o);
    ASSERT_TRUE(tap.ok()) << tap.status();
    EXPECT_FALSE(tap->created());
  }
  EXPECT_TRUE(InterfaceExists("per0"));
}

}  // namespace
}  // namespace virtio
}  // namespace vmm
