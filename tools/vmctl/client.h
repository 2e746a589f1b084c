#ifndef TOOLS_VMCTL_CLIENT_H_
#define TOOLS_VMCTL_CLIENT_H_

// Executes a parsed vmctl Invocation against a VmService stub and writes the
// result to an output stream (table or JSON).

#include <memory>
#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "proto/vmm/v1/vmm.grpc.pb.h"
#include "tools/vmctl/args.h"

namespace vmctl {

// A channel to the daemon: "unix:<socket>" with no transport security (the
// socket's 0600 mode is the access control), or TLS to --server with the
// given CA and optional client certificate.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const Connection& conn);

// gRPC codes and absl codes share numbering (both are google.rpc.Code).
absl::Status FromGrpc(const grpc::Status& status);

class Client {
 public:
  Client(vmm::v1::VmService::StubInterface& stub, std::ostream& out) : stub_(stub), out_(out) {}

  // Runs the command; the error is what to print ("<CODE>: <message>").
  absl::Status Run(const Invocation& inv);

 private:
  absl::Status Create(const Invocation& inv);
  absl::Status List(const Invocation& inv);
  absl::Status Watch(const Invocation& inv);
  absl::Status Console(const Invocation& inv);
  absl::Status Capture(const Invocation& inv);
  // Calls a unary RPC on the VM named by inv.vm: as a name first, then,
  // if no VM has that name, as an id (see ResolveRef for the rule).
  template <typename Request>
  absl::Status CallOnVm(const Invocation& inv,
                        grpc::Status (vmm::v1::VmService::StubInterface::*rpc)(grpc::ClientContext*,
                                                                               const Request&,
                                                                               vmm::v1::Vm*),
                        Request request);
  // The VmRef that names inv.vm, checked with GetVm (for streams, which
  // report NOT_FOUND too late to retry). Fills `vm` if given.
  absl::StatusOr<vmm::v1::VmRef> ResolveRef(const Invocation& inv, vmm::v1::Vm* vm = nullptr);
  absl::Status PrintVm(const Invocation& inv, const vmm::v1::Vm& vm);

  vmm::v1::VmService::StubInterface& stub_;
  std::ostream& out_;
};

// The refs to try for a VM argument, in order: {id} with --id; {name, id}
// when the argument is a valid name; {id} otherwise.
std::vector<vmm::v1::VmRef> CandidateRefs(const std::string& vm, bool is_id);

}  // namespace vmctl

#endif  // TOOLS_VMCTL_CLIENT_H_
