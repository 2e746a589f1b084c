#include "vmm/manager/event_hub.h"

namespace vmm::manager {

bool EventHub::Subscription::Next(v1::VmEvent* out, absl::Duration timeout, bool* closed) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return closed_ || !queue_.empty(); };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  *closed = false;
  if (!queue_.empty()) {
    *out = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }
  *closed = closed_;
  return false;
}

std::shared_ptr<EventHub::Subscription> EventHub::Subscribe(const std::string& vm_id) {
  auto sub = std::make_shared<Subscription>();
  sub->vm_id_ = vm_id;
  absl::MutexLock lock(&mu_);
  if (closed_) {
    absl::MutexLock sub_lock(&sub->mu_);
    sub->closed_ = true;
  }
  subs_.push_back(sub);
  return sub;
}

void EventHub::Publish(const v1::VmEvent& event) {
  absl::MutexLock lock(&mu_);
  for (auto it = subs_.begin(); it != subs_.end();) {
    std::shared_ptr<Subscription> sub = it->lock();
    if (sub == nullptr) {
      it = subs_.erase(it);
      continue;
    }
    ++it;
    if (!sub->vm_id_.empty() && sub->vm_id_ != event.vm_id()) continue;
    absl::MutexLock sub_lock(&sub->mu_);
    if (sub->queue_.size() >= kMaxQueued) sub->queue_.pop_front();
    sub->queue_.push_back(event);
  }
}

void EventHub::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (auto& weak : subs_) {
    if (std::shared_ptr<Subscription> sub = weak.lock()) {
      absl::MutexLock sub_lock(&sub->mu_);
      sub->closed_ = true;
    }
  }
  subs_.clear();
}

}  // namespace vmm::manager
