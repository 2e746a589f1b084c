#include "vmm/worker/control_service.h"

#include <unistd.h>

#include <thread>

#include "vmm/worker/counters_proto.h"

namespace vmm::worker {
namespace {

// How often blocked stream loops look at cancellation and shutdown.
constexpr absl::Duration kPollInterval = absl::Milliseconds(200);
constexpr size_t kMaxChunk = 16 * 1024;
// The replayed history goes out as one message (vmm.proto: "the first
// response holds the buffered recent output"); the ring is far smaller than
// gRPC's 4 MiB message limit.
constexpr size_t kMaxReplay = 1 << 20;

Phase ToProto(RunnerStatus::Phase p) {
  switch (p) {
    case RunnerStatus::Phase::kStarting:
      return STARTING;
    case RunnerStatus::Phase::kRunning:
      return RUNNING;
    case RunnerStatus::Phase::kPaused:
      return PAUSED;
    case RunnerStatus::Phase::kExiting:
      return EXITING;
  }
  return PHASE_UNSPECIFIED;
}

}  // namespace

ControlService::ControlService(VmRunner* runner, ConsoleBuffer* console,
                               std::function<void(absl::string_view)> send_input)
    : runner_(runner), console_(console), send_input_(std::move(send_input)) {}

void ControlService::Fill(const RunnerStatus& st, WorkerStatus* out) const {
  out->set_phase(ToProto(st.phase));
  out->set_boot_count(st.boot_count);
  out->set_accel(st.accel == AccelKind::kKvm   ? KVM
                 : st.accel == AccelKind::kTcg ? TCG
                                               : ACCEL_UNSPECIFIED);
  out->set_pid(::getpid());
  out->set_message(st.message);
}

grpc::Status ControlService::Reply(const absl::Status& s, WorkerStatus* out) const {
  if (!s.ok()) {
    return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
  }
  Fill(runner_->status(), out);
  return grpc::Status::OK;
}

grpc::Status ControlService::GetStatus(grpc::ServerContext*, const Empty*, WorkerStatus* out) {
  return Reply(absl::OkStatus(), out);
}

grpc::Status ControlService::WatchStatus(grpc::ServerContext* ctx, const Empty*,
                                         grpc::ServerWriter<WorkerStatus>* writer) {
  RunnerStatus st = runner_->status();
  uint64_t sent = st.version + 1;  // Anything but the current version.
  while (!ctx->IsCancelled()) {
    if (st.version != sent) {
      WorkerStatus msg;
      Fill(st, &msg);
      if (!writer->Write(msg)) break;
      sent = st.version;
    }
    // The last status (EXITING) has been sent; the worker exits next.
    if (st.phase == RunnerStatus::Phase::kExiting || shutting_down_) break;
    st = runner_->WaitForChange(sent, kPollInterval);
  }
  return grpc::Status::OK;
}

grpc::Status ControlService::Pause(grpc::ServerContext*, const Empty*, WorkerStatus* out) {
  return Reply(runner_->Pause(), out);
}

grpc::Status ControlService::Resume(grpc::ServerContext*, const Empty*, WorkerStatus* out) {
  return Reply(runner_->Resume(), out);
}

grpc::Status ControlService::RequestPowerOff(grpc::ServerContext*, const Empty*,
                                             WorkerStatus* out) {
  return Reply(runner_->RequestPowerOff(), out);
}

grpc::Status ControlService::Reboot(grpc::ServerContext*, const Empty*, WorkerStatus* out) {
  return Reply(runner_->Reboot(), out);
}

grpc::Status ControlService::GetCounters(grpc::ServerContext*, const Empty*, Counters* out) {
  CountersToProto(runner_->Counters(), out);
  return grpc::Status::OK;
}

grpc::Status ControlService::Kill(grpc::ServerContext*, const Empty*, WorkerStatus* out) {
  runner_->Kill();
  return Reply(absl::OkStatus(), out);
}

grpc::Status ControlService::Console(grpc::ServerContext* ctx,
                                     grpc::ServerReaderWriter<ConsoleOut, ConsoleIn>* stream) {
  ConsoleIn first;
  if (!stream->Read(&first)) return grpc::Status::OK;
  uint64_t id;
  {
    absl::MutexLock lock(&input_mu_);
    id = next_stream_++;
  }
  auto take_input = [this, id](const ConsoleIn& in) {
    if (in.input().empty()) return;
    absl::MutexLock lock(&input_mu_);
    if (input_owner_ == 0) input_owner_ = id;
    // Input from any other stream is dropped: one typist at a time.
    if (input_owner_ == id) send_input_(in.input());
  };
  take_input(first);

  // Reads input on its own thread; ends when the client half-closes or the
  // call is cancelled (TryCancel below, once the output side is done).
  std::thread reader([&] {
    ConsoleIn in;
    while (stream->Read(&in)) take_input(in);
  });

  uint64_t cursor = first.replay() ? console_->oldest() : console_->end();
  bool replaying = first.replay();
  while (!ctx->IsCancelled() && !shutting_down_) {
    std::string chunk;
    bool more = console_->Read(&cursor, &chunk, replaying ? kMaxReplay : kMaxChunk,
                               replaying ? absl::ZeroDuration() : kPollInterval);
    replaying = false;
    if (!chunk.empty()) {
      ConsoleOut out;
      out.set_output(std::move(chunk));
      if (!stream->Write(out)) break;
    }
    if (!more) break;
  }
  ctx->TryCancel();
  reader.join();
  {
    absl::MutexLock lock(&input_mu_);
    if (input_owner_ == id) input_owner_ = 0;
  }
  return grpc::Status::OK;
}

}  // namespace vmm::worker
