#ifndef VMM_MANAGER_EVENT_HUB_H_
#define VMM_MANAGER_EVENT_HUB_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/vmm/v1/vmm.pb.h"

namespace vmm::manager {

// Fans VM events out to WatchEvents subscribers. Publishing never blocks on
// a subscriber: each has a bounded queue and a subscriber that falls more
// than kMaxQueued events behind loses the oldest ones.
class EventHub {
 public:
  static constexpr size_t kMaxQueued = 1024;

  class Subscription {
   public:
    // Waits up to `timeout` for the next event. False with *closed set when
    // the hub has closed; false without it on timeout.
    bool Next(v1::VmEvent* out, absl::Duration timeout, bool* closed);

   private:
    friend class EventHub;
    absl::Mutex mu_;
    std::deque<v1::VmEvent> queue_ ABSL_GUARDED_BY(mu_);
    bool closed_ ABSL_GUARDED_BY(mu_) = false;
    std::string vm_id_;  // Empty: every VM.
  };

  // Events for one VM id, or all when `vm_id` is empty. The returned
  // subscription stops receiving when it is destroyed.
  std::shared_ptr<Subscription> Subscribe(const std::string& vm_id);
  void Publish(const v1::VmEvent& event);
  // Ends every subscription (daemon shutdown).
  void Close();

 private:
  absl::Mutex mu_;
  std::vector<std::weak_ptr<Subscription>> subs_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace vmm::manager

#endif  // VMM_MANAGER_EVENT_HUB_H_
