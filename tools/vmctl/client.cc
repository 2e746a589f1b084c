#include "tools/vmctl/client.h"

#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "tools/vmctl/console.h"
#include "tools/vmctl/format.h"
#include "vmm/base/status_macros.h"

namespace vmctl {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(what, " ", path, ": cannot be read"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Unary calls get a deadline so a wedged daemon cannot hang scripts forever;
// generous, since StartVm spawns a worker and StopVm waits for the guest.
constexpr int64_t kUnaryDeadlineMs = 60000;

void SetDeadline(grpc::ClientContext& ctx, int64_t extra_ms = 0) {
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(kUnaryDeadlineMs + extra_ms));
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const Connection& conn) {
  grpc::ChannelArguments args;
  // The daemon is local or one hop away; fail fast when it is not there.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  if (conn.server.empty()) {
    return grpc::CreateCustomChannel(absl::StrCat("unix:", conn.socket),
                                     grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile("--tls-ca", conn.tls_ca));
  if (!conn.tls_cert.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadFile("--tls-cert", conn.tls_cert));
    ASSIGN_OR_RETURN(ssl.pem_private_key, ReadFile("--tls-key", conn.tls_key));
  }
  return grpc::CreateCustomChannel(conn.server, grpc::SslCredentials(ssl), args);
}

std::vector<vmm::v1::VmRef> CandidateRefs(const std::string& vm, bool is_id) {
  vmm::v1::VmRef by_name, by_id;
  by_name.set_name(vm);
  by_id.set_id(vm);
  if (is_id || !LooksLikeName(vm)) return {by_id};
  return {by_name, by_id};
}

absl::Status Client::Run(const Invocation& inv) {
  switch (inv.command) {
    case Command::kCreate:
      return Create(inv);
    case Command::kList:
      return List(inv);
    case Command::kWatch:
      return Watch(inv);
    case Command::kConsole:
      return Console(inv);
    case Command::kCapture:
      return Capture(inv);
    case Command::kNic: {
      vmm::v1::UpdateNicRequest req;
      req.set_nic_index(inv.nic_index);
      *req.mutable_rx_rate_limit() = inv.rx_limit;
      *req.mutable_tx_rate_limit() = inv.tx_limit;
      return CallOnVm(inv, &vmm::v1::VmService::StubInterface::UpdateNic, req);
    }
    case Command::kGet: {
      vmm::v1::Vm vm;
      RETURN_IF_ERROR(ResolveRef(inv, &vm).status());
      if (inv.json) return PrintVm(inv, vm);
      out_ << FormatVmDetails(vm);
      return absl::OkStatus();
    }
    case Command::kStart:
      return CallOnVm(inv, &vmm::v1::VmService::StubInterface::StartVm, vmm::v1::StartVmRequest());
    case Command::kPause:
      return CallOnVm(inv, &vmm::v1::VmService::StubInterface::PauseVm, vmm::v1::PauseVmRequest());
    case Command::kResume:
      return CallOnVm(inv, &vmm::v1::VmService::StubInterface::ResumeVm,
                      vmm::v1::ResumeVmRequest());
    case Command::kReboot:
      return CallOnVm(inv, &vmm::v1::VmService::StubInterface::RebootVm,
                      vmm::v1::RebootVmRequest());
    case Command::kStop: {
      vmm::v1::StopVmRequest req;
      req.set_timeout_ms(inv.timeout_ms);
      req.set_force(inv.force);
      return CallOnVm(inv, &vmm::v1::VmService::StubInterface::StopVm, req);
    }
    case Command::kDelete: {
      absl::Status first;
      for (const auto& ref : CandidateRefs(inv.vm, inv.vm_is_id)) {
        grpc::ClientContext ctx;
        SetDeadline(ctx);
        vmm::v1::DeleteVmRequest req;
        *req.mutable_vm() = ref;
        vmm::v1::DeleteVmResponse resp;
        absl::Status s = FromGrpc(stub_.DeleteVm(&ctx, req, &resp));
        if (s.ok()) {
          if (inv.json) {
            ASSIGN_OR_RETURN(std::string line, ToJsonLine(resp));
            out_ << line;
          } else {
            out_ << "deleted " << inv.vm << "\n";
          }
          return absl::OkStatus();
        }
        if (first.ok()) first = s;
        if (!absl::IsNotFound(s)) return s;
      }
      return first;
    }
  }
  return absl::InternalError("unhandled command");
}

template <typename Request>
absl::Status Client::CallOnVm(const Invocation& inv,
                              grpc::Status (vmm::v1::VmService::StubInterface::*rpc)(
                                  grpc::ClientContext*, const Request&, vmm::v1::Vm*),
                              Request request) {
  absl::Status first;
  // NOT_FOUND means nothing happened, so retrying under the id is safe.
  for (const auto& ref : CandidateRefs(inv.vm, inv.vm_is_id)) {
    grpc::ClientContext ctx;
    // StopVm may wait out the guest's grace period (0 means 10 s).
    SetDeadline(ctx,
                inv.command == Command::kStop ? (inv.timeout_ms == 0 ? 10000 : inv.timeout_ms) : 0);
    *request.mutable_vm() = ref;
    vmm::v1::Vm vm;
    absl::Status s = FromGrpc((stub_.*rpc)(&ctx, request, &vm));
    if (s.ok()) return PrintVm(inv, vm);
    if (first.ok()) first = s;
    if (!absl::IsNotFound(s)) return s;
  }
  return first;  // The name's error reads best: "no VM named ...".
}

absl::StatusOr<vmm::v1::VmRef> Client::ResolveRef(const Invocation& inv, vmm::v1::Vm* out) {
  absl::Status first;
  for (const auto& ref : CandidateRefs(inv.vm, inv.vm_is_id)) {
    grpc::ClientContext ctx;
    SetDeadline(ctx);
    vmm::v1::GetVmRequest req;
    *req.mutable_vm() = ref;
    vmm::v1::Vm vm;
    absl::Status s = FromGrpc(stub_.GetVm(&ctx, req, &vm));
    if (s.ok()) {
      if (out != nullptr) *out = vm;
      vmm::v1::VmRef resolved;
      resolved.set_id(vm.id());
      return resolved;
    }
    if (first.ok()) first = s;
    if (!absl::IsNotFound(s)) return s;
  }
  return first;
}

absl::Status Client::PrintVm(const Invocation& inv, const vmm::v1::Vm& vm) {
  if (inv.json) {
    ASSIGN_OR_RETURN(std::string line, ToJsonLine(vm));
    out_ << line;
  } else {
    out_ << FormatVmTable({vm});
  }
  return absl::OkStatus();
}

absl::Status Client::Create(const Invocation& inv) {
  std::string json;
  if (!inv.create.spec_file.empty()) {
    ASSIGN_OR_RETURN(json, ReadFile("--spec", inv.create.spec_file));
  }
  ASSIGN_OR_RETURN(vmm::v1::VmSpec spec, BuildCreateSpec(inv.create, json));
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  vmm::v1::CreateVmRequest req;
  *req.mutable_spec() = std::move(spec);
  vmm::v1::Vm vm;
  RETURN_IF_ERROR(FromGrpc(stub_.CreateVm(&ctx, req, &vm)));
  return PrintVm(inv, vm);
}

absl::Status Client::List(const Invocation& inv) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  vmm::v1::ListVmsResponse resp;
  RETURN_IF_ERROR(FromGrpc(stub_.ListVms(&ctx, vmm::v1::ListVmsRequest(), &resp)));
  if (inv.json) {
    ASSIGN_OR_RETURN(std::string line, ToJsonLine(resp));
    out_ << line;
  } else {
    out_ << FormatVmTable({resp.vms().begin(), resp.vms().end()});
  }
  return absl::OkStatus();
}

absl::Status Client::Watch(const Invocation& inv) {
  vmm::v1::WatchEventsRequest req;
  if (!inv.vm.empty()) {
    ASSIGN_OR_RETURN(*req.mutable_vm(), ResolveRef(inv));
  }
  grpc::ClientContext ctx;
  auto reader = stub_.WatchEvents(&ctx, req);
  vmm::v1::VmEvent event;
  while (reader->Read(&event)) {
    if (inv.json) {
      ASSIGN_OR_RETURN(std::string line, ToJsonLine(event));
      out_ << line;
    } else {
      out_ << FormatEvent(event);
    }
    out_.flush();  // Scripts read events as they happen.
  }
  return FromGrpc(reader->Finish());
}

absl::Status Client::Capture(const Invocation& inv) {
  ASSIGN_OR_RETURN(vmm::v1::VmRef ref, ResolveRef(inv));
  grpc::ClientContext ctx;
  vmm::v1::CaptureResponse resp;
  switch (inv.capture_action) {
    case Invocation::CaptureAction::kStart: {
      SetDeadline(ctx);
      vmm::v1::StartCaptureRequest req;
      *req.mutable_vm() = ref;
      // The daemon opens the file: make a relative path the caller's.
      std::string path = inv.capture_path;
      if (!path.empty() && path[0] != '/') {
        char cwd[4096];
        if (::getcwd(cwd, sizeof(cwd)) != nullptr) path = absl::StrCat(cwd, "/", path);
      }
      req.set_path(path);
      RETURN_IF_ERROR(FromGrpc(stub_.StartCapture(&ctx, req, &resp)));
      if (!inv.json) out_ << "capturing vsock of " << inv.vm << " to " << path << "\n";
      return absl::OkStatus();
    }
    case Invocation::CaptureAction::kStop: {
      SetDeadline(ctx);
      vmm::v1::StopCaptureRequest req;
      *req.mutable_vm() = ref;
      RETURN_IF_ERROR(FromGrpc(stub_.StopCapture(&ctx, req, &resp)));
      if (!inv.json) out_ << "capture of " << inv.vm << " stopped\n";
      return absl::OkStatus();
    }
    case Invocation::CaptureAction::kStream: {
      vmm::v1::StreamCaptureRequest req;
      *req.mutable_vm() = ref;
      auto reader = stub_.StreamCapture(&ctx, req);
      vmm::v1::CaptureChunk chunk;
      out_.flush();
      // Raw bytes on stdout, flushed per chunk so a pipe reader sees
      // packets as they happen; a reader that goes away ends the stream.
      while (reader->Read(&chunk)) {
        const std::string& d = chunk.data();
        size_t off = 0;
        while (off < d.size()) {
          ssize_t n = ::write(STDOUT_FILENO, d.data() + off, d.size() - off);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) {
            ctx.TryCancel();
            reader->Finish().IgnoreError();
            return absl::OkStatus();
          }
          off += static_cast<size_t>(n);
        }
      }
      return FromGrpc(reader->Finish());
    }
  }
  return absl::InternalError("unhandled capture action");
}

absl::Status Client::Console(const Invocation& inv) {
  ConsoleOptions options;
  ASSIGN_OR_RETURN(options.vm, ResolveRef(inv));
  options.replay = inv.replay;
  options.timeout_ms = inv.console_timeout_ms;
  out_.flush();
  return RunConsole(stub_, options);
}

}  // namespace vmctl
