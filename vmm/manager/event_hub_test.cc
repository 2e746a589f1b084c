#include "vmm/manager/event_hub.h"

#include <thread>

#include "gtest/gtest.h"

namespace vmm::manager {
namespace {

v1::VmEvent Event(const std::string& id, v1::State state) {
  v1::VmEvent e;
  e.set_vm_id(id);
  e.mutable_status()->set_state(state);
  return e;
}

TEST(EventHub, FiltersByVmAndKeepsOrder) {
  EventHub hub;
  auto all = hub.Subscribe("");
  auto only_a = hub.Subscribe("a");
  hub.Publish(Event("a", v1::RUNNING));
  hub.Publish(Event("b", v1::RUNNING));
  hub.Publish(Event("a", v1::SHUTOFF));
  v1::VmEvent e;
  bool closed;
  ASSERT_TRUE(all->Next(&e, absl::ZeroDuration(), &closed));
  EXPECT_EQ(e.vm_id(), "a");
  ASSERT_TRUE(all->Next(&e, absl::ZeroDuration(), &closed));
  EXPECT_EQ(e.vm_id(), "b");
  ASSERT_TRUE(only_a->Next(&e, absl::ZeroDuration(), &closed));
  EXPECT_EQ(e.status().state(), v1::RUNNING);
  ASSERT_TRUE(only_a->Next(&e, absl::ZeroDuration(), &closed));
  EXPECT_EQ(e.status().state(), v1::SHUTOFF);
  EXPECT_FALSE(only_a->Next(&e, absl::Milliseconds(10), &closed));
  EXPECT_FALSE(closed);
}

TEST(EventHub, SlowSubscriberLosesTheOldest) {
  EventHub hub;
  auto sub = hub.Subscribe("");
  for (size_t i = 0; i < EventHub::kMaxQueued + 5; ++i) {
    hub.Publish(Event(std::to_string(i), v1::RUNNING));
  }
  v1::VmEvent e;
  bool closed;
  ASSERT_TRUE(sub->Next(&e, absl::ZeroDuration(), &closed));
  EXPECT_EQ(e.vm_id(), "5");
}

TEST(EventHub, CloseWakesWaiters) {
  EventHub hub;
  auto sub = hub.Subscribe("");
  std::thread closer([&] {
    absl::SleepFor(absl::Milliseconds(30));
    hub.Close();
  });
  v1::VmEvent e;
  bool closed = false;
  EXPECT_FALSE(sub->Next(&e, absl::Seconds(20), &closed));
  EXPECT_TRUE(closed);
  closer.join();
  auto late = hub.Subscribe("");
  EXPECT_FALSE(late->Next(&e, absl::ZeroDuration(), &closed));
  EXPECT_TRUE(closed);
}

TEST(EventHub, DroppedSubscriptionIsForgotten) {
  EventHub hub;
  { auto sub = hub.Subscribe(""); }
  hub.Publish(Event("a", v1::RUNNING));  // Must not touch the freed one.
}

}  // namespace
}  // namespace vmm::manager
