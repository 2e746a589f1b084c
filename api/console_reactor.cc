#include "api/console_reactor.h"

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "api/validation.h"
#include "api/vm_service.h"
#include "vmm/worker/control_client.h"

namespace vmm::api {
namespace {

class ConsoleReactor final
    : public grpc::ServerBidiReactor<v1::ConsoleRequest, v1::ConsoleResponse> {
 public:
  explicit ConsoleReactor(manager::VmManager* manager) : manager_(manager) { StartRead(&req_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client half-closed (or went away): no more input, but output
      // continues until the client cancels or the VM stops.
      if (!opened_)
        FinishOnce(grpc::Status(grpc::INVALID_ARGUMENT, "the first ConsoleRequest must set vm"));
      return;
    }
    if (!opened_) {
      opened_ = true;
      if (!Open()) return;
    } else if (!req_.input().empty()) {
      session_->Write(req_.input());
    }
    StartRead(&req_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok && session_ != nullptr) session_->Cancel();  // Client gone.
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (session_ != nullptr) session_->Cancel();
  }

  void OnDone() override {
    if (pump_.joinable()) pump_.join();
    delete this;
  }

 private:
  // Handles the first request; false when the call has been finished.
  bool Open() {
    absl::Status valid = ValidateRef(req_.vm(), "vm");
    if (!valid.ok()) {
      FinishOnce(ToGrpc(valid));
      return false;
    }
    absl::StatusOr<std::unique_ptr<worker::ConsoleSession>> session =
        manager_->OpenConsole(req_.vm(), req_.replay());
    if (!session.ok()) {
      FinishOnce(ToGrpc(session.status()));
      return false;
    }
    {
      absl::MutexLock lock(&mu_);
      session_ = std::move(session).value();
      if (cancelled_) session_->Cancel();
    }
    if (!req_.input().empty()) session_->Write(req_.input());
    pump_ = std::thread([this] { Pump(); });
    return true;
  }

  // Worker output -> client, then Finish(OK) once the worker's console ends
  // (the VM stopped) or the session was cancelled.
  void Pump() {
    std::string chunk;
    while (session_->Read(&chunk)) {
      absl::MutexLock lock(&mu_);
      auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !writing_ || cancelled_; };
      mu_.Await(absl::Condition(&idle));
      if (cancelled_) break;
      writing_ = true;
      resp_.set_output(std::move(chunk));
      chunk.clear();
      StartWrite(&resp_);
    }
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !writing_; };
    mu_.Await(absl::Condition(&idle));
    FinishLocked(grpc::Status::OK);
  }

  void FinishOnce(const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(status);
  }
  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  manager::VmManager* const manager_;
  v1::ConsoleRequest req_;    // Only touched by the read callbacks.
  bool opened_ = false;       // Likewise.
  v1::ConsoleResponse resp_;  // Owned by the write in flight.
  std::thread pump_;

  absl::Mutex mu_;
  std::unique_ptr<worker::ConsoleSession> session_;  // Set once, under mu_.
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerBidiReactor<v1::ConsoleRequest, v1::ConsoleResponse>* NewConsoleReactor(
    manager::VmManager* manager) {
  return new ConsoleReactor(manager);
}

}  // namespace vmm::api
