#include "vmm/worker/control_client.h"

#include <google/protobuf/text_format.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "vmm/worker/control.grpc.pb.h"
#include "vmm/worker/counters_proto.h"
#include "vmm/worker/files.h"
#include "vmm/worker/layout.h"

namespace vmm::worker {
namespace {

absl::Status FromGrpc(const grpc::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

WorkerState FromProto(const WorkerStatus& p) {
  WorkerState s;
  switch (p.phase()) {
    case STARTING:
      s.phase = WorkerState::Phase::kStarting;
      break;
    case RUNNING:
      s.phase = WorkerState::Phase::kRunning;
      break;
    case PAUSED:
      s.phase = WorkerState::Phase::kPaused;
      break;
    case EXITING:
      s.phase = WorkerState::Phase::kExiting;
      break;
    default:
      s.phase = WorkerState::Phase::kUnknown;
  }
  s.boot_count = p.boot_count();
  s.accel = p.accel() == KVM   ? AccelKind::kKvm
            : p.accel() == TCG ? AccelKind::kTcg
                               : AccelKind::kAuto;
  s.pid = p.pid();
  s.message = p.message();
  return s;
}

void SetDeadline(grpc::ClientContext* ctx, absl::Duration timeout) {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  // The worker may still be creating its socket; wait for it rather than
  // failing at once.
  ctx->set_wait_for_ready(true);
}

class GrpcStatusWatch : public StatusWatch {
 public:
  GrpcStatusWatch(std::unique_ptr<grpc::ClientContext> ctx,
                  std::unique_ptr<grpc::ClientReader<WorkerStatus>> reader, WorkerStatus first)
      : ctx_(std::move(ctx)), reader_(std::move(reader)), first_(std::move(first)) {}
  ~GrpcStatusWatch() override {
    ctx_->TryCancel();
    // Drain so that Finish() does not block on unread messages.
    WorkerStatus ignored;
    while (reader_->Read(&ignored)) {
    }
    reader_->Finish().IgnoreError();
  }
  bool Next(WorkerState* out) override {
    if (have_first_) {
      have_first_ = false;
      *out = FromProto(first_);
      return true;
    }
    WorkerStatus msg;
    if (!reader_->Read(&msg)) return false;
    *out = FromProto(msg);
    return true;
  }
  void Cancel() override { ctx_->TryCancel(); }

 private:
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReader<WorkerStatus>> reader_;
  WorkerStatus first_;
  bool have_first_ = true;
};

class GrpcConsoleSession : public ConsoleSession {
 public:
  GrpcConsoleSession(std::unique_ptr<grpc::ClientContext> ctx,
                     std::unique_ptr<grpc::ClientReaderWriter<ConsoleIn, ConsoleOut>> stream)
      : ctx_(std::move(ctx)), stream_(std::move(stream)) {}
  ~GrpcConsoleSession() override {
    ctx_->TryCancel();
    ConsoleOut ignored;
    while (stream_->Read(&ignored)) {
    }
    stream_->Finish().IgnoreError();
  }
  bool Read(std::string* out) override {
    ConsoleOut msg;
    if (!stream_->Read(&msg)) return false;
    *out = std::move(*msg.mutable_output());
    return true;
  }
  bool Write(absl::string_view input) override {
    ConsoleIn msg;
    msg.set_input(std::string(input));
    return stream_->Write(msg);
  }
  void Cancel() override { ctx_->TryCancel(); }

 private:
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<ConsoleIn, ConsoleOut>> stream_;
};

class GrpcWorkerClient : public WorkerClient {
 public:
  explicit GrpcWorkerClient(const std::string& socket_path) {
    grpc::ChannelArguments args;
    // A worker's socket appears within milliseconds of its start; the
    // default reconnect backoff (1 s, growing to 2 min) would stall StartVm.
    // (Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: it also bounds the connect
    // timeout, and HTTP/2 handshakes on a loaded host can take longer.)
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    channel_ =
        grpc::CreateCustomChannel("unix:" + socket_path, grpc::InsecureChannelCredentials(), args);
    stub_ = WorkerControl::NewStub(channel_);
  }

  absl::StatusOr<WorkerState> GetStatus(absl::Duration timeout) override {
    return Unary(&WorkerControl::Stub::GetStatus, "GetStatus", timeout);
  }
  absl::StatusOr<WorkerState> Pause(absl::Duration timeout) override {
    return Unary(&WorkerControl::Stub::Pause, "Pause", timeout);
  }
  absl::StatusOr<WorkerState> Resume(absl::Duration timeout) override {
    return Unary(&WorkerControl::Stub::Resume, "Resume", timeout);
  }
  absl::StatusOr<WorkerState> RequestPowerOff(absl::Duration timeout) override {
    return Unary(&WorkerControl::Stub::RequestPowerOff, "RequestPowerOff", timeout);
  }
  absl::StatusOr<WorkerState> Reboot(absl::Duration timeout) override {
    return Unary(&WorkerControl::Stub::Reboot, "Reboot", timeout);
  }
  absl::StatusOr<WorkerState> Kill(absl::Duration timeout) override {
    return Unary(&WorkerControl::Stub::Kill, "Kill", timeout);
  }
  absl::StatusOr<MachineCounters> GetCounters(absl::Duration timeout) override {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, timeout);
    Counters reply;
    grpc::Status s = stub_->GetCounters(&ctx, Empty(), &reply);
    if (!s.ok()) return FromGrpc(s, "worker GetCounters");
    return CountersFromProto(reply);
  }

  absl::StatusOr<std::unique_ptr<StatusWatch>> WatchStatus(
      absl::Duration connect_timeout) override {
    auto ctx = std::make_unique<grpc::ClientContext>();
    // No deadline for the stream itself, and no wait_for_ready: the wait for
    // the worker's socket is WaitConnected's, bounded. A stream that waited
    // for ready could wait forever, when the worker closes its socket (it
    // exits) between the connect and the stream's start.
    grpc::ClientContext* raw = ctx.get();
    if (!WaitConnected(connect_timeout)) {
      return absl::UnavailableError("worker control socket did not answer");
    }
    std::unique_ptr<grpc::ClientReader<WorkerStatus>> reader = stub_->WatchStatus(raw, Empty());
    WorkerStatus first;
    if (!reader->Read(&first)) {
      grpc::Status s = reader->Finish();
      return FromGrpc(s.ok() ? grpc::Status(grpc::UNAVAILABLE, "stream ended") : s, "WatchStatus");
    }
    return std::unique_ptr<StatusWatch>(
        new GrpcStatusWatch(std::move(ctx), std::move(reader), std::move(first)));
  }

  absl::StatusOr<std::unique_ptr<ConsoleSession>> OpenConsole(
      bool replay, absl::Duration connect_timeout) override {
    if (!WaitConnected(connect_timeout)) {
      return absl::UnavailableError("worker control socket did not answer");
    }
    auto ctx = std::make_unique<grpc::ClientContext>();
    auto stream = stub_->Console(ctx.get());
    ConsoleIn first;
    first.set_replay(replay);
    if (!stream->Write(first)) {
      grpc::Status s = stream->Finish();
      return FromGrpc(s.ok() ? grpc::Status(grpc::UNAVAILABLE, "stream ended") : s, "Console");
    }
    return std::unique_ptr<ConsoleSession>(
        new GrpcConsoleSession(std::move(ctx), std::move(stream)));
  }

 private:
  using Method = grpc::Status (WorkerControl::Stub::*)(grpc::ClientContext*, const Empty&,
                                                       WorkerStatus*);

  absl::StatusOr<WorkerState> Unary(Method method, absl::string_view name, absl::Duration timeout) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, timeout);
    WorkerStatus reply;
    grpc::Status s = (stub_.get()->*method)(&ctx, Empty(), &reply);
    if (!s.ok()) return FromGrpc(s, absl::StrCat("worker ", name));
    return FromProto(reply);
  }

  bool WaitConnected(absl::Duration timeout) {
    return channel_->WaitForConnected(absl::ToChronoTime(absl::Now() + timeout));
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<WorkerControl::Stub> stub_;
};

}  // namespace

absl::StatusOr<WorkerExit> ReadWorkerExit(const std::string& vm_dir) {
  std::string path = absl::StrCat(vm_dir, "/", kExitFile);
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  ExitRecord record;
  if (!google::protobuf::TextFormat::ParseFromString(*text, &record)) {
    return absl::DataLossError(absl::StrCat(path, ": not an ExitRecord"));
  }
  WorkerExit out;
  switch (record.kind()) {
    case ExitRecord::POWER_OFF:
      out.kind = WorkerExit::Kind::kPowerOff;
      break;
    case ExitRecord::STOPPED:
      out.kind = WorkerExit::Kind::kStopped;
      break;
    case ExitRecord::GUEST_CRASH:
      out.kind = WorkerExit::Kind::kGuestCrash;
      break;
    case ExitRecord::START_FAILED:
      out.kind = WorkerExit::Kind::kStartFailed;
      break;
    default:
      return absl::DataLossError(absl::StrCat(path, ": unknown kind ", record.kind()));
  }
  out.message = record.message();
  out.boot_count = record.boot_count();
  out.pid = record.pid();
  out.counters = CountersFromProto(record.counters());
  return out;
}

std::unique_ptr<WorkerClient> WorkerClient::Create(const std::string& socket_path) {
  return std::make_unique<GrpcWorkerClient>(socket_path);
}

}  // namespace vmm::worker
